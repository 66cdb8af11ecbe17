"""One conformance suite for every metadata store: the same runs on SQLite and PostgreSQL.

PostgreSQL is used when LEGATO_TEST_POSTGRES_URL is set (.ci/run sets it); each test gets a
database of its own, dropped afterwards. If the variable is set and the server is down the
test fails: it never silently skips.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from legato import DAG, task
from legato.store.db import dispose_all, normalize_url
from legato.tasks import EmptyTask

PG_URL = os.environ.get("LEGATO_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="LEGATO_TEST_POSTGRES_URL not set"))]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "sqlite":
        yield "sqlite"
        return
    admin = sa.create_engine(normalize_url(PG_URL or ""), isolation_level="AUTOCOMMIT")
    name = f"legato_t_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = sa.engine.make_url(normalize_url(PG_URL or "")).set(database=name)
    monkeypatch.setenv("LEGATO_DATABASE_URL", url.render_as_string(hide_password=False))
    try:
        yield "postgresql"
    finally:
        dispose_all()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_run_with_retries_mapping_and_branch(backend: str) -> None:
    with DAG(f"conformance_{backend}", default_args={"retries": 2, "retry_delay": 0}) as dag:
        @task
        def flaky(ctx) -> list[int]:
            if ctx.try_number == 1:
                raise ConnectionError("blip")
            return [1, 2, 3]

        @task
        def double(x: int) -> int:
            return 2 * x

        @task.branch
        def pick(values: list[int]) -> str:
            return "big" if sum(values) > 10 else "small"

        big, small = EmptyTask("big"), EmptyTask("small")
        pick(double.expand(x=flaky())) >> [big, small]
    result = dag.run(logical_date="2023-01-01")
    assert result.state == "success"
    assert result["flaky"].tries == 2
    assert result["double"].result == [2, 4, 6]
    assert (result["big"].state, result["small"].state) == ("success", "skipped")
    assert result.logical_date.isoformat() == "2023-01-01T00:00:00+00:00"


def test_large_result_and_listing(backend: str) -> None:
    from legato.config import load_settings
    from legato.services import queries

    with DAG(f"big_{backend}") as dag:
        @task
        def make() -> str:
            return "y" * 200_000

        @task
        def size(s: str) -> int:
            return len(s)

        size(make())
    result = dag.run()
    assert result["size"].result == 200_000
    runs = queries.list_runs(load_settings())
    assert [r.run_id for r in runs] == [result.run_id]
    assert queries.show_run(load_settings(), result.run_id[:-2]).state == "success"
