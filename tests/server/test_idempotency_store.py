"""Idempotency keys on SQLite and PostgreSQL: the primary key makes a claim race-safe.

PostgreSQL runs in a database of its own on the server tests/services.py finds; under CI, or
with LEGATO_TEST_POSTGRES_URL set, a server that does not answer fails the test.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

pytest.importorskip("fastapi")

from legato.config import load_settings
from legato.services import idempotency
from legato.store import idempotency as store
from legato.store import runs as run_store
from legato.store.db import open_engine


def _run(run_id: str) -> run_store.RunRow:
    now = datetime.now(UTC)
    return run_store.RunRow(run_id, "d", "manual", now, now, now, "queued", {}, None, now, None, None)


def test_claim_settle_release(backend: str) -> None:
    engine = open_engine(load_settings().database_url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        store.claim(conn, "d", "k", now)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        store.claim(conn, "d", "k", now)
    with engine.begin() as conn:
        store.claim(conn, "other_dag", "k", now)                 # keys are per DAG
        assert store.get(conn, "d", "k").run_id is None           # type: ignore[union-attr]
        store.release(conn, "d", "k")
        assert store.get(conn, "d", "k") is None
        store.claim(conn, "d", "k", now)
        store.settle(conn, "d", "k", "run-1")
        store.release(conn, "d", "k")                             # a settled key stays
        assert store.get(conn, "d", "k").run_id == "run-1"        # type: ignore[union-attr]


def test_concurrent_triggers_with_one_key_create_one_run(backend: str) -> None:
    settings = load_settings()
    engine = open_engine(settings.database_url)
    created: list[str] = []
    results: list[tuple[str, bool]] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def create() -> run_store.RunRow:
        run = _run(f"run-{secrets.token_hex(3)}")
        with engine.begin() as conn:
            run_store.insert_run(conn, run)
        with lock:
            created.append(run.run_id)
        return run

    def fire() -> None:
        start.wait()
        run, fresh = idempotency.trigger_once(settings, "d", "same-key", create)
        with lock:
            results.append((run.run_id, fresh))

    threads = [threading.Thread(target=fire) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(created) == 1
    assert sorted(fresh for _, fresh in results) == [False] * 5 + [True]
    assert {run_id for run_id, _ in results} == set(created)


def test_a_failed_create_gives_the_key_back(backend: str) -> None:
    settings = load_settings()

    def boom() -> run_store.RunRow:
        raise LookupError("no such DAG")

    with pytest.raises(LookupError):
        idempotency.trigger_once(settings, "d", "k", boom)
    engine = open_engine(load_settings().database_url)
    with engine.begin() as conn:
        assert store.get(conn, "d", "k") is None
        run_store.insert_run(conn, _run("run-ok"))
    run, fresh = idempotency.trigger_once(settings, "d", "k", lambda: _run("run-ok"))
    assert fresh and run.run_id == "run-ok"


def test_a_claim_left_by_a_dead_server_is_taken_over(backend: str) -> None:
    settings = load_settings()
    engine = open_engine(settings.database_url)
    long_ago = datetime.now(UTC) - timedelta(seconds=idempotency.STALE_S + 5)
    with engine.begin() as conn:
        store.claim(conn, "d", "orphan", long_ago)               # claimed, never settled
        run_store.insert_run(conn, _run("run-after-crash"))
    run, fresh = idempotency.trigger_once(settings, "d", "orphan", lambda: _run("run-after-crash"))
    assert fresh and run.run_id == "run-after-crash"
    with engine.connect() as conn:
        assert store.get(conn, "d", "orphan").run_id == "run-after-crash"   # type: ignore[union-attr]
