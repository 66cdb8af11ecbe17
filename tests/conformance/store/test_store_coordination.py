"""store/requests.py and store/owners.py on both backends: an operator's request is pending
until applied, and applied exactly once however many appliers race for it; an owner registers,
heartbeats by the database's clock, is forgotten only if it did not beat since it was judged,
learns from a failed beat that it was, and (PostgreSQL) cannot hold locks while frozen."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from concurrency_support import all_at_once
from legato.store import owners
from legato.store import requests as store
from legato.store.db import create
from legato.store.dialect import clock
from legato.store.owners import Owner
from legato.store.schema import schedulers
from waiting import eventually

T0 = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)


def test_requests_are_pending_oldest_first_until_applied(db: sa.Engine) -> None:
    with db.begin() as conn:
        first = store.insert(conn, "r", "clear", {"task_ids": ["a"]}, "alice", T0)
        second = store.insert(conn, "r", "cancel", {}, "bob", T0 + timedelta(seconds=1))
        store.insert(conn, "elsewhere", "mark", {"state": "success"}, "carol", T0)
    with db.begin() as conn:
        assert [r.id for r in store.pending(conn, ["r"])] == [first, second]
        assert store.pending(conn, []) == []
        assert store.mark_applied(conn, first, T0, {"task_ids": ["a", "b"]})
        assert [r.id for r in store.pending(conn, ["r"])] == [second]
    with db.connect() as conn:
        applied = store.get(conn, first)
        assert applied is not None and store.get(conn, 10**9) is None
    assert (applied.action, applied.payload, applied.requested_by) == ("clear", {"task_ids": ["a"]},
                                                                      "alice")
    assert (applied.applied_at, applied.outcome) == (T0, {"task_ids": ["a", "b"]})


def test_a_request_is_applied_exactly_once_by_racing_appliers(db: sa.Engine) -> None:
    """Its owner and the requester (taking over when the run lost its owner) may both try."""
    with db.begin() as conn:
        request_id = store.insert(conn, "r", "cancel", {}, "alice", T0)
    won: list[int] = []

    def apply(i: int) -> None:
        with db.begin() as conn:
            if store.mark_applied(conn, request_id, T0, {"by": i}):
                won.append(i)

    assert all_at_once(6, apply) == []
    assert len(won) == 1
    with db.connect() as conn:
        assert store.get(conn, request_id).outcome == {"by": won[0]}   # type: ignore[union-attr]


def test_an_owner_registers_beats_by_the_database_clock_and_releases(db: sa.Engine) -> None:
    me = owners.Owner(db, "scheduler", timeout_s=30)
    me.register()
    try:
        with db.connect() as conn:
            row = owners.all_owners(conn)[me.id]
            now = clock(conn)
        assert (row.hostname, row.pid, row.kind) == (owners.HOSTNAME, os.getpid(),
                                                     "scheduler")
        assert row.heartbeat_at.utcoffset() == timedelta(0)
        assert abs(now - row.heartbeat_at) < timedelta(seconds=30)
        assert not owners.is_dead(row, now=now, timeout_s=30)
        assert me.beat()
        with db.connect() as conn:
            assert owners.all_owners(conn)[me.id].heartbeat_at >= row.heartbeat_at
    finally:
        me.release()
    with db.connect() as conn:
        assert me.id not in owners.all_owners(conn)


def test_a_judged_owner_is_forgotten_only_if_it_did_not_beat_since(db: sa.Engine) -> None:
    me = owners.Owner(db, "run", timeout_s=30)
    me.register()
    with db.connect() as conn:
        judged = owners.all_owners(conn)[me.id]
    with db.begin() as conn:                      # it beats after being judged: it came back
        conn.execute(schedulers.update().where(schedulers.c.id == me.id)
                     .values(heartbeat_at=judged.heartbeat_at + timedelta(seconds=1)))
    with db.begin() as conn:
        assert not owners.delete_if_unchanged(conn, judged)
        current = owners.all_owners(conn)[me.id]
        assert owners.delete_if_unchanged(conn, current)
    assert not me.beat()                          # its row is gone: it knows it was judged dead
    me.release()


def test_an_owner_s_session_idle_in_a_transaction_is_ended_by_the_server(
        db: sa.Engine, store_url: str) -> None:
    """A frozen owner (SIGSTOP mid-transaction) must not keep the row locks adoption needs:
    on PostgreSQL its idle transaction is ended after the owner timeout; SQLite needs no
    such limit (its writer lock is a file lock) and none is set."""
    engine = create(store_url)                   # not the shared engine: this one is limited
    try:
        Owner(engine, "run", timeout_s=1.0).register()
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))    # opens the transaction, then sits idle in it
            if engine.dialect.name != "postgresql":
                return
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            def session_ended() -> bool:    # a new transaction each time: the statistics
                with db.connect() as watcher:   # are a snapshot per transaction
                    return not watcher.execute(sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}).scalar()

            eventually(session_ended, timeout_s=30, what="the server to end the idle transaction")
            with pytest.raises(sa.exc.DBAPIError):
                conn.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()
