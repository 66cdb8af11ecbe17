"""DAG runs: create, finish, read. Functions take the connection so callers control the transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from . import dialect
from .schema import dag_runs, dags, task_instances


@dataclass(frozen=True, slots=True)
class RunRow:
    run_id: str
    dag_id: str
    run_type: str
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    state: str
    params: dict[str, Any]
    event: Any
    created_at: datetime
    start_date: datetime | None
    end_date: datetime | None
    owner: str | None = None          # the owner (store/owners.py) driving it, while running
    note: str | None = None           # an operator's note
    callback_error: str | None = None  # a DAG callback of the run that raised


def _row(r: Any) -> RunRow:
    return RunRow(
        run_id=r.run_id, dag_id=r.dag_id, run_type=r.run_type, logical_date=r.logical_date,
        data_interval_start=r.data_interval_start, data_interval_end=r.data_interval_end,
        state=r.state, params=json.loads(r.params_json),
        event=json.loads(r.event_json) if r.event_json else None,
        created_at=r.created_at, start_date=r.start_date, end_date=r.end_date, owner=r.owner,
        note=r.note, callback_error=r.callback_error,
    )


def insert_run(conn: sa.Connection, run: RunRow) -> None:
    conn.execute(dag_runs.insert().values(
        run_id=run.run_id, dag_id=run.dag_id, run_type=run.run_type,
        logical_date=run.logical_date, data_interval_start=run.data_interval_start,
        data_interval_end=run.data_interval_end, state=run.state,
        params_json=json.dumps(run.params, default=str),
        event_json=None if run.event is None else json.dumps(run.event, default=str),
        created_at=run.created_at, start_date=run.start_date, end_date=run.end_date,
        owner=run.owner,
    ))


def set_run_state(conn: sa.Connection, run_id: str, state: str, *,
                  start_date: datetime | None = None, end_date: datetime | None = None) -> None:
    values: dict[str, Any] = {"state": state}
    if start_date is not None:
        values["start_date"] = start_date
    if end_date is not None:
        values["end_date"] = end_date
    conn.execute(dag_runs.update().where(dag_runs.c.run_id == run_id).values(**values))


def get_run(conn: sa.Connection, run_id: str) -> RunRow | None:
    r = conn.execute(sa.select(dag_runs).where(dag_runs.c.run_id == run_id)).first()
    return _row(r) if r else None


def find_runs_by_prefix(conn: sa.Connection, prefix: str, limit: int = 2) -> list[str]:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    q = sa.select(dag_runs.c.run_id).where(dag_runs.c.run_id.like(escaped + "%", escape="\\"))
    return list(conn.execute(q.limit(limit)).scalars())


def list_runs(conn: sa.Connection, *, dag_id: str | None = None, limit: int = 50) -> list[RunRow]:
    q = sa.select(dag_runs).order_by(dag_runs.c.created_at.desc()).limit(limit)
    if dag_id:
        q = q.where(dag_runs.c.dag_id == dag_id)
    return [_row(r) for r in conn.execute(q)]


def claim_run(conn: sa.Connection, run_id: str, now: datetime, owner: str | None = None, *,
              dag_id: str | None = None, max_active: int | None = None) -> bool:
    """queued -> running and owned by `owner`, only if still queued: of several schedulers,
    exactly one wins. With `max_active`, only while fewer than that many runs of `dag_id`
    are running, counted in the store (so the limit holds across schedulers): one statement
    on SQLite (which writes one statement at a time); on PostgreSQL the DAG's row is locked
    first, so two schedulers claiming runs of one DAG take turns — skipping, not waiting,
    when it is locked (a scheduler frozen mid-claim must not stop the others)."""
    cond = [dag_runs.c.run_id == run_id, dag_runs.c.state == "queued"]
    if max_active is not None:
        lock = sa.select(dags.c.dag_id).where(dags.c.dag_id == dag_id)
        if not dialect.try_lock(conn, lock):    # a claim in progress elsewhere: next pass
            return False
        other = dag_runs.alias("other")
        running = (sa.select(sa.func.count()).select_from(other)
                   .where(other.c.dag_id == dag_id, other.c.state == "running")
                   .scalar_subquery())
        cond.append(running < max_active)
    done = conn.execute(dag_runs.update().where(*cond)
                        .values(state="running", start_date=now, owner=owner))
    return done.rowcount == 1


def existing_logical_dates(conn: sa.Connection, dag_id: str,
                           dates: list[datetime]) -> set[datetime]:
    """Which of `dates` already have a run of `dag_id`, of any type (a backfill's or a
    trigger's date is not scheduled again)."""
    if not dates:
        return set()
    q = sa.select(dag_runs.c.logical_date).where(dag_runs.c.dag_id == dag_id,
                                                 dag_runs.c.logical_date.in_(dates))
    return set(conn.execute(q).scalars())


def cancel_queued(conn: sa.Connection, run_ids: list[str], now: datetime) -> list[str]:
    """Cancel those of `run_ids` that are still queued (nobody drives them, so no fence is
    needed); their instances are skipped. Returns the ids cancelled."""
    if not run_ids:
        return []
    q = sa.select(dag_runs.c.run_id).where(dag_runs.c.run_id.in_(run_ids),
                                           dag_runs.c.state == "queued")
    done = []
    for run_id in conn.execute(q).scalars():
        hit = conn.execute(dag_runs.update().where(dag_runs.c.run_id == run_id,
                                                   dag_runs.c.state == "queued")
                           .values(state="cancelled", end_date=now))
        if hit.rowcount == 1:
            conn.execute(task_instances.update().where(
                task_instances.c.run_id == run_id,
                task_instances.c.state.in_(("scheduled", "queued", "up_for_retry")))
                .values(state="skipped", end_date=now, error="run cancelled before it started",
                        error_type="RunCancelled"))
            done.append(run_id)
    return done


def _owned_by(owner: str | None) -> sa.ColumnElement[bool]:
    return dag_runs.c.owner.is_(None) if owner is None else dag_runs.c.owner == owner


def set_owner(conn: sa.Connection, run_id: str, owner: str) -> None:
    """Name the owner of a run created running (dag.run()), in the transaction creating it."""
    conn.execute(dag_runs.update().where(dag_runs.c.run_id == run_id).values(owner=owner))


def take_run(conn: sa.Connection, run_id: str, dead: str | None, me: str) -> bool:
    """Adopt a running run from the dead owner seen: of several schedulers, exactly one wins,
    and none wins if the owner changed since it was judged. A row locked by a commit in
    progress (a frozen owner holding its fence) is skipped, not waited for, on PostgreSQL."""
    free = dialect.skip_locked(
        sa.select(dag_runs.c.run_id)
        .where(dag_runs.c.run_id == run_id, dag_runs.c.state == "running", _owned_by(dead))
    ).scalar_subquery()
    done = conn.execute(dag_runs.update().where(dag_runs.c.run_id == free).values(owner=me))
    return done.rowcount == 1


def hold_run(conn: sa.Connection, run_id: str, owner: str) -> bool:
    """Fence a driver's write: True (and the run's row locked until commit) only while `owner`
    still owns the run, so a driver that lost its run cannot write after an adoption. Plain
    SQL: it runs with every commit of every driver, and Core's overhead tripled its cost."""
    mark = dialect.placeholder(conn)
    with dialect.dbapi_cursor(conn) as cursor:   # the transaction's own connection, minus Core
        cursor.execute(f"UPDATE dag_runs SET owner = owner WHERE run_id = {mark} "
                       f"AND owner = {mark}", (run_id, owner))
        return bool(cursor.rowcount == 1)


def running_owners(conn: sa.Connection) -> dict[str | None, int]:
    """How many running runs each owner drives (None: runs written before owners existed)."""
    q = (sa.select(dag_runs.c.owner, sa.func.count()).where(dag_runs.c.state == "running")
         .group_by(dag_runs.c.owner))
    return dict(conn.execute(q).all())     # rows, not the Result: a Result has keys()


def running_runs_of(conn: sa.Connection, owner: str | None) -> list[RunRow]:
    q = (sa.select(dag_runs).where(dag_runs.c.state == "running", _owned_by(owner))
         .order_by(dag_runs.c.logical_date, dag_runs.c.created_at))
    return [_row(r) for r in conn.execute(q)]


def not_owned(conn: sa.Connection, run_ids: list[str], owner: str) -> set[str]:
    """Of these runs, those `owner` no longer owns (another scheduler adopted them)."""
    if not run_ids:
        return set()
    q = sa.select(dag_runs.c.run_id).where(dag_runs.c.run_id.in_(run_ids),
                                           dag_runs.c.owner == owner)
    return set(run_ids) - set(conn.execute(q).scalars())


def runs_in_state(conn: sa.Connection, state: str, dag_id: str | None = None) -> list[RunRow]:
    q = sa.select(dag_runs).where(dag_runs.c.state == state).order_by(dag_runs.c.logical_date,
                                                                        dag_runs.c.created_at)
    if dag_id is not None:
        q = q.where(dag_runs.c.dag_id == dag_id)
    return [_row(r) for r in conn.execute(q)]


def last_logical_date(conn: sa.Connection, dag_id: str, run_types: tuple[str, ...]) -> datetime | None:
    """The latest logical date among this DAG's runs of these types (the scheduler's cursor)."""
    q = sa.select(sa.func.max(dag_runs.c.logical_date)).where(
        dag_runs.c.dag_id == dag_id, dag_runs.c.run_type.in_(run_types))
    return conn.execute(q).scalar()      # max() keeps the column's type: an aware datetime


def successful_logical_dates(conn: sa.Connection, dag_id: str) -> set[datetime]:
    q = sa.select(dag_runs.c.logical_date).where(dag_runs.c.dag_id == dag_id,
                                                 dag_runs.c.state == "success")
    return set(conn.execute(q).scalars())


def set_callback_error(conn: sa.Connection, run_id: str, error: str) -> None:
    """Record that a DAG callback of the run raised (shown with the run)."""
    conn.execute(dag_runs.update().where(dag_runs.c.run_id == run_id)
                 .values(callback_error=error))


FINISHED_STATES = ("success", "failed", "cancelled")


def lock_unowned(conn: sa.Connection, run_id: str) -> str | None:
    """Take the run's row for an operator's change when nobody drives it (queued or
    finished): its state, the row locked until this transaction ends (so a scheduler's claim
    waits for the change); None if it is running (its owner must apply the change)."""
    done = conn.execute(dag_runs.update().where(dag_runs.c.run_id == run_id,
                                                dag_runs.c.state != "running")
                        .values(state=dag_runs.c.state))
    if done.rowcount != 1:
        return None
    return conn.execute(sa.select(dag_runs.c.state).where(dag_runs.c.run_id == run_id)).scalar()


def reopen(conn: sa.Connection, run_id: str) -> None:
    """A cleared run goes back to `queued` (a scheduler, or `--wait`, drives it again)."""
    conn.execute(dag_runs.update().where(dag_runs.c.run_id == run_id)
                 .values(state="queued", end_date=None, owner=None))


def set_note(conn: sa.Connection, run_id: str, note: str | None) -> bool:
    done = conn.execute(dag_runs.update().where(dag_runs.c.run_id == run_id).values(note=note))
    return done.rowcount == 1
