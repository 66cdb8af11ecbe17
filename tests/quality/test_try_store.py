"""Code running inside a task writes to the store its try belongs to (the request names it),
not to whatever store the worker's own environment names: a Dask worker on another machine
has no LEGATO_DATABASE_URL, or another one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from legato import DAG, task
from legato.config import load_settings, store_in_use
from legato.quality import Contract, validate
from legato.store import dead_letters as letter_store
from legato.store.db import open_engine

CONTRACT = Contract({"type": "object", "required": ["id"]}, name="has_id")


def _letters(url: str) -> list[Any]:
    with open_engine(url).connect() as conn:
        return letter_store.query(conn)


def test_dead_letters_go_to_the_try_s_store_when_the_worker_s_environment_names_another(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_store = f"sqlite:///{tmp_path / 'run.db'}"
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("LEGATO_DATABASE_URL", run_store)
    seen: dict[str, Any] = {}

    with DAG("try_store", start_date="2024-01-01") as dag:
        @task
        def check() -> int:
            os.environ["LEGATO_DATABASE_URL"] = elsewhere      # the worker's own environment
            seen["in_use"] = store_in_use().database_url
            return len(validate([{"id": 1}, {"name": "no id"}], CONTRACT, max_reject_ratio=1.0))

        check()

    open_engine(elsewhere).dispose()
    result = dag.run()
    monkeypatch.setenv("LEGATO_DATABASE_URL", run_store)
    assert result.state == "success", result["check"].error
    assert result["check"].result == 1
    assert seen["in_use"] == run_store
    assert [x.record_index for x in _letters(run_store)] == [1]
    assert load_settings().database_url == run_store


def test_outside_a_try_the_environment_names_the_store(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("LEGATO_DATABASE_URL", url)
    assert store_in_use().database_url == url
    assert store_in_use().home == load_settings().home
