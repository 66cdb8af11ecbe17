"""A missing optional package names the extra that installs it (issue 10 item 31): each lazy
import site, with the package made unimportable, fails with "pip install 'legato[...]'"; and
every extra named that way exists in pyproject.toml."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from legato.extras import EXTRAS, MissingExtra


def _hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make `modules` unimportable (a None entry in sys.modules), as if not installed."""
    for name in list(sys.modules):
        if name.split(".")[0] in modules:
            monkeypatch.delitem(sys.modules, name)
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


def _duckdb_load(tmp: Path) -> None:
    from legato.io.warehouse import Warehouse

    Warehouse(f"duckdb:///{tmp / 'w.duckdb'}").load("t", [{"id": 1}])


def _fsspec_read(tmp: Path) -> None:
    from legato.io import storage

    storage.read_text("memory://landing/x.csv")


def _redis_publish(tmp: Path) -> None:
    from legato.io import queue

    queue.publish("orders", {"id": 1}, url="redis://127.0.0.1:6379/0")


def _nats_publish(tmp: Path) -> None:
    from legato.io import queue

    queue.publish("orders", {"id": 1}, url="nats://127.0.0.1:4222")


def _amqp_publish(tmp: Path) -> None:
    from legato.io import queue

    queue.publish("orders", {"id": 1}, url="amqp://guest:guest@127.0.0.1:5672/%2F")


def _postgres_store(tmp: Path) -> None:
    from legato.store.db import create

    create("postgresql://postgres@127.0.0.1:5432/test")


def _postgres_warehouse(tmp: Path) -> None:
    from legato.io.warehouse import Warehouse

    Warehouse("postgresql://postgres@127.0.0.1:5432/test")


@pytest.mark.parametrize("hidden, call, extra", [
    (("duckdb",), _duckdb_load, "duckdb"),
    (("fsspec",), _fsspec_read, "fsspec"),
    (("redis",), _redis_publish, "queues"),
    (("nats",), _nats_publish, "queues"),
    (("pika",), _amqp_publish, "queues"),
    (("psycopg", "psycopg2"), _postgres_store, "postgres"),
    (("psycopg", "psycopg2"), _postgres_warehouse, "postgres"),
])
def test_a_missing_package_names_its_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           hidden: tuple[str, ...], call: Callable[[Path], None],
                                           extra: str) -> None:
    _hide(monkeypatch, *hidden)
    with pytest.raises(MissingExtra, match=rf"pip install 'legato\[{extra}\]'"):
        call(tmp_path)


def test_sqltask_names_the_postgres_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from legato import DAG
    from legato.tasks import SqlTask

    monkeypatch.setenv("LEGATO_CONN_PG", "postgresql://postgres@127.0.0.1:5432/test")
    _hide(monkeypatch, "psycopg", "psycopg2")
    with DAG("pg_missing") as dag:
        SqlTask("q", "SELECT 1", conn_id="pg")
    result = dag.run()
    assert result.state == "failed"
    assert "pip install 'legato[postgres]'" in (result["q"].error or "")


def test_every_extra_named_exists_in_pyproject() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    declared = pyproject["project"]["optional-dependencies"]
    for module, (extra, _) in EXTRAS.items():
        assert extra in declared, f"{module} points at the missing extra {extra!r}"
    for extra in {e for e, _ in EXTRAS.values()}:
        assert set(declared[extra]) <= set(declared["all"]), f"'all' lacks {extra}"
