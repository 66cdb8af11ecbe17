"""store/runs.py on both backends: a run row round-trips; of several claimers exactly one wins,
and `max_active` is counted in the store; adoption and the ownership fence; cancelling queued
runs; an operator's lock on a run nobody drives; reopening a cleared run."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from concurrency_support import all_at_once
from legato.store import dags as dag_store
from legato.store import runs as store
from legato.store import tries as try_store

T0 = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)


def run_row(run_id: str, *, dag_id: str = "d", state: str = "queued", day: int = 1,
            owner: str | None = None, event: object = None) -> store.RunRow:
    at = T0 + timedelta(days=day)
    return store.RunRow(run_id, dag_id, "manual", at, at - timedelta(days=1), at, state,
                        {"n": day, "when": "now"}, event, at, None, None, owner=owner)


def add(db: sa.Engine, *runs: store.RunRow) -> None:
    with db.begin() as conn:
        for run in runs:
            store.insert_run(conn, run)


def get(db: sa.Engine, run_id: str) -> store.RunRow:
    with db.connect() as conn:
        run = store.get_run(conn, run_id)
    assert run is not None
    return run


def test_a_run_row_round_trips_with_aware_times(db: sa.Engine) -> None:
    row = run_row("manual__a_%_1", event={"key": "po-1.csv", "size": 8})
    add(db, row, run_row("manual__ab", day=2), run_row("other", dag_id="e", day=3))
    back = get(db, row.run_id)
    assert back == row
    assert back.logical_date.utcoffset() == timedelta(0)
    with db.connect() as conn:
        assert store.find_runs_by_prefix(conn, "manual__a_%") == ["manual__a_%_1"]   # literal
        assert sorted(store.find_runs_by_prefix(conn, "manual__a")) == ["manual__a_%_1",
                                                                         "manual__ab"]
        assert [r.run_id for r in store.list_runs(conn, dag_id="d")] == ["manual__ab",
                                                                         "manual__a_%_1"]
        assert store.last_logical_date(conn, "d", ("manual",)) == row.logical_date + \
            timedelta(days=1)
        assert store.existing_logical_dates(conn, "d", [row.logical_date, T0]) == \
            {row.logical_date}


def test_of_several_claimers_exactly_one_wins(db: sa.Engine) -> None:
    add(db, run_row("r"))
    won: list[str] = []

    def claim(i: int) -> None:
        with db.begin() as conn:
            if store.claim_run(conn, "r", T0, f"owner-{i}"):
                won.append(f"owner-{i}")

    assert all_at_once(6, claim) == []
    assert len(won) == 1
    claimed = get(db, "r")
    assert (claimed.state, claimed.owner, claimed.start_date) == ("running", won[0], T0)
    with db.begin() as conn:
        assert not store.claim_run(conn, "r", T0, "late")          # running: not claimable


def test_max_active_is_counted_in_the_store_across_owners(db: sa.Engine) -> None:
    with db.begin() as conn:
        dag_store.upsert_dag(conn, "d", "/dags/d.py", "{}", T0)
    add(db, run_row("running", state="running", owner="a"), run_row("q1", day=2),
        run_row("q2", day=3), run_row("elsewhere", dag_id="e", state="running"))
    with db.begin() as conn:
        assert not store.claim_run(conn, "q1", T0, "b", dag_id="d", max_active=1)
        assert store.claim_run(conn, "q1", T0, "b", dag_id="d", max_active=2)
        assert not store.claim_run(conn, "q2", T0, "c", dag_id="d", max_active=2)
        assert store.running_owners(conn) == {"a": 1, "b": 1, None: 1}
    assert get(db, "q2").state == "queued"


def test_a_claim_with_max_active_skips_a_dag_another_claimer_holds(db: sa.Engine,
                                                                  kind: str) -> None:
    """PostgreSQL: the DAG's row is locked while a claim counts, and a second claimer skips
    rather than waits. SQLite: the claim is one statement and its writer lock serializes
    claimers, so there is no such lock to skip."""
    with db.begin() as conn:
        dag_store.upsert_dag(conn, "d", "/dags/d.py", "{}", T0)
    add(db, run_row("q1"), run_row("q2", day=2))
    with db.connect() as holder:
        holder.begin()
        assert store.claim_run(holder, "q1", T0, "a", dag_id="d", max_active=5)
        if kind == "postgresql":
            with db.begin() as other:
                assert not store.claim_run(other, "q2", T0, "b", dag_id="d", max_active=5)
        holder.commit()
    with db.begin() as conn:
        assert store.claim_run(conn, "q2", T0, "b", dag_id="d", max_active=5)


def test_adoption_and_the_ownership_fence(db: sa.Engine) -> None:
    add(db, run_row("r", state="running", owner="a"), run_row("old", state="running"),
        run_row("q"))
    with db.begin() as conn:
        assert store.hold_run(conn, "r", "a")                    # a still owns it
        assert not store.take_run(conn, "r", "someone-else", "b")  # judged: not a's owner
        assert store.take_run(conn, "r", "a", "b")               # a is dead: b adopts
        assert not store.take_run(conn, "r", "a", "c")           # it changed since judged
        assert not store.hold_run(conn, "r", "a")                # a's writes are fenced off
        assert store.hold_run(conn, "r", "b")
        assert store.take_run(conn, "old", None, "c")            # written before owners
        assert not store.take_run(conn, "q", None, "c")          # queued: nothing to adopt
        assert store.not_owned(conn, ["r", "old"], "b") == {"old"}
        assert [r.run_id for r in store.running_runs_of(conn, "c")] == ["old"]


def test_adoption_skips_a_run_whose_fence_is_held(db: sa.Engine, kind: str) -> None:
    """A frozen owner in the middle of a fenced commit holds its run's row: PostgreSQL skips
    the row (adoption is tried again later); on SQLite that owner holds the writer lock, so
    the adopter waits for it instead and then finds the owner unchanged."""
    add(db, run_row("r", state="running", owner="a"))
    with db.connect() as owner:
        owner.begin()
        assert store.hold_run(owner, "r", "a")
        if kind == "postgresql":
            with db.begin() as adopter:
                assert not store.take_run(adopter, "r", "a", "b")
            owner.commit()
        else:
            done: list[bool] = []
            adopter = threading.Thread(target=lambda: done.append(_take(db, "r", "a", "b")))
            adopter.start()
            owner.commit()
            adopter.join(timeout=30)
            assert done == [True]
    assert get(db, "r").owner == ("a" if kind == "postgresql" else "b")


def _take(db: sa.Engine, run_id: str, dead: str, me: str) -> bool:
    with db.begin() as conn:
        return store.take_run(conn, run_id, dead, me)


def test_cancel_queued_cancels_only_queued_runs_and_skips_their_waiting_tasks(
        db: sa.Engine) -> None:
    add(db, run_row("q"), run_row("r", state="running", owner="a"), run_row("done", state="success"))
    with db.begin() as conn:
        try_store.insert_instances(conn, "q", [("a", -1), ("b", -1), ("c", -1)], "scheduled")
        try_store.update_instances(conn, [_instance("q", "b", "up_for_retry"),
                                          _instance("q", "c", "success")])
    with db.begin() as conn:
        assert store.cancel_queued(conn, ["q", "r", "done", "missing"], T0) == ["q"]
        assert store.cancel_queued(conn, [], T0) == []
    cancelled = get(db, "q")
    assert (cancelled.state, cancelled.end_date) == ("cancelled", T0)
    assert (get(db, "r").state, get(db, "done").state) == ("running", "success")
    with db.connect() as conn:
        states = {i.task_id: (i.state, i.error_type) for i in try_store.instances_of_run(conn, "q")}
    assert states == {"a": ("skipped", "RunCancelled"), "b": ("skipped", "RunCancelled"),
                      "c": ("success", None)}


def _instance(run_id: str, task_id: str, state: str) -> try_store.InstanceRow:
    return try_store.InstanceRow(run_id, task_id, -1, state, 1, None, T0, None, None, None)


def test_an_operator_locks_only_a_run_nobody_drives_and_reopens_it(db: sa.Engine) -> None:
    add(db, run_row("q"), run_row("r", state="running", owner="a"),
        run_row("f", state="failed", owner="a"))
    with db.begin() as conn:
        assert store.lock_unowned(conn, "q") == "queued"
        assert store.lock_unowned(conn, "f") == "failed"
        assert store.lock_unowned(conn, "r") is None            # its owner applies changes
        assert store.lock_unowned(conn, "missing") is None
        store.set_run_state(conn, "f", "failed", end_date=T0)
        store.reopen(conn, "f")
    reopened = get(db, "f")
    assert (reopened.state, reopened.end_date, reopened.owner) == ("queued", None, None)
    with db.begin() as conn:
        assert store.claim_run(conn, "f", T0, "b")               # a scheduler drives it again
        assert store.set_note(conn, "f", "looked at it") and not store.set_note(conn, "x", "-")
        store.set_callback_error(conn, "f", "on_success raised")
    assert (get(db, "f").note, get(db, "f").callback_error) == ("looked at it", "on_success raised")
