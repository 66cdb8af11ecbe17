"""store/dags.py, store/retention.py and store/secrets.py on both backends: a DAG's spec is
recorded by however many writers at once, starts paused or not as asked and keeps the pause
its operators gave it; old finished runs are found and forgotten with their own rows, and a
run that is no longer finished is left whole; a secret's first put from several writers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from concurrency_support import all_at_once
from legato.store import dags as store
from legato.store import requests as request_store
from legato.store import retention
from legato.store import runs as run_store
from legato.store import secrets as secret_store
from legato.store import tries as try_store
from legato.store import xcom as xcom_store
from legato.store.results import StoredValue
from legato.store.schema import dag_runs, run_requests, task_instances, task_tries, xcom

T0 = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
SPEC = '{"dag_id": "fresh", "tasks": []}'


def test_two_writers_recording_one_new_dag_both_succeed(db: sa.Engine) -> None:
    def record(n: int) -> None:
        with db.begin() as conn:
            store.upsert_dag(conn, "fresh", f"/dags/fresh_{n % 2}.py", SPEC, T0)

    assert all_at_once(4, record) == []
    with db.connect() as conn:
        assert store.list_dags(conn) in ([("fresh", "/dags/fresh_0.py", False)],
                                         [("fresh", "/dags/fresh_1.py", False)])
        assert store.stored_spec(conn, "fresh") is not None


def test_a_dag_starts_paused_as_asked_and_keeps_its_operators_pause(db: sa.Engine) -> None:
    with db.begin() as conn:
        store.upsert_dag(conn, "new", "/dags/new.py", SPEC, T0, paused=True)
        store.upsert_dag(conn, "active", "/dags/active.py", SPEC, T0, paused=False)
        assert store.paused_ids(conn) == {"new"}
        store.upsert_dag(conn, "new", "/dags/new.py", SPEC, T0, paused=False)   # seen again
        assert store.is_paused(conn, "new")
        assert store.set_paused(conn, "new", False) and not store.set_paused(conn, "nope", True)
        changed = SPEC.replace("[]", '{"t": {"task_id": "t"}}')
        store.upsert_dag(conn, "new", "/dags/moved.py", changed, T0 + timedelta(hours=1),
                         paused=True)
        assert store.stored_spec(conn, "new") == ("/dags/moved.py", changed)
        assert store.stored_spec(conn, "nope") is None
        assert store.paused_ids(conn) == set() and not store.is_paused(conn, "nope")
        assert store.list_dags(conn) == [("active", "/dags/active.py", False),
                                         ("new", "/dags/moved.py", False)]


def _finished_run(db: sa.Engine, run_id: str, state: str, ended: datetime | None,
                  created: datetime) -> None:
    """A run with a row in every table a run owns."""
    with db.begin() as conn:
        run_store.insert_run(conn, run_store.RunRow(run_id, "d", "manual", created, created,
                                                    created, state, {}, None, created, created,
                                                    ended))
        try_store.insert_instances(conn, run_id, [("t", -1)], state)
        try_store.insert_tries(conn, [try_store.TryRow(run_id, "t", -1, 1, "success", created,
                                                       ended, None, None, None)])
        xcom_store.write(conn, [xcom_store.XComRow(run_id, "t", -1, "return_value",
                                                   StoredValue('"x"', None, 3))])
        request_store.insert(conn, run_id, "clear", {}, "alice", created)


def _rows(db: sa.Engine, run_id: str) -> dict[str, int]:
    with db.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)
                                     .where(t.c.run_id == run_id)).scalar_one()
                for t in (dag_runs, task_instances, task_tries, xcom, run_requests)}


def test_old_finished_runs_are_found_oldest_first(db: sa.Engine) -> None:
    day = timedelta(days=1)
    _finished_run(db, "ended_40d", "success", T0 - 40 * day, T0 - 41 * day)
    _finished_run(db, "ended_35d", "failed", T0 - 35 * day, T0 - 36 * day)
    _finished_run(db, "no_end_50d", "cancelled", None, T0 - 50 * day)      # by its creation
    _finished_run(db, "ended_10d", "success", T0 - 10 * day, T0 - 11 * day)
    _finished_run(db, "running_60d", "running", None, T0 - 60 * day)
    with db.connect() as conn:
        assert retention.old_runs(conn, T0 - 30 * day) == [
            ("no_end_50d", "d"), ("ended_40d", "d"), ("ended_35d", "d")]
        assert retention.old_runs(conn, T0 - 30 * day, limit=1) == [("no_end_50d", "d")]


def test_forgetting_runs_takes_their_own_rows_and_leaves_a_run_no_longer_finished(
        db: sa.Engine) -> None:
    """Between finding old runs and deleting them, one was cleared and is running again: its
    rows must all stay, not just its run row."""
    _finished_run(db, "old", "success", T0 - timedelta(days=40), T0 - timedelta(days=41))
    _finished_run(db, "kept", "success", T0, T0)
    _finished_run(db, "cleared", "running", None, T0 - timedelta(days=40))
    whole = _rows(db, "cleared")
    with db.begin() as conn:
        assert retention.delete_runs(conn, ["old", "cleared"]) == ["old"]
        assert retention.delete_runs(conn, []) == []
    assert set(_rows(db, "old").values()) == {0}
    assert _rows(db, "cleared") == whole == dict.fromkeys(whole, 1)
    assert set(_rows(db, "kept").values()) == {1}


def test_parallel_first_puts_of_one_secret_all_succeed(db: sa.Engine) -> None:
    """Several `legato secrets set` of one new name: one creates the row, the others replace
    its value; none fails on the primary key."""
    created: list[bool] = []

    def put(i: int) -> None:
        with db.begin() as conn:
            created.append(secret_store.put(conn, "variable", "shared", f"token-{i}", "k1", T0))

    assert all_at_once(8, put) == []
    assert sorted(created) == [False] * 7 + [True]
    with db.begin() as conn:
        row = secret_store.get(conn, "variable", "shared")
        assert row is not None and row.ciphertext in {f"token-{i}" for i in range(8)}
        assert secret_store.put(conn, "connection", "db", "c1", "k1", T0, "postgres")
        assert not secret_store.put(conn, "connection", "db", "c2", "k2", T0, "postgres")
        row = secret_store.get(conn, "connection", "db")
    assert row is not None and (row.ciphertext, row.key_id, row.conn_type) == ("c2", "k2", "postgres")
