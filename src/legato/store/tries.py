"""Task instances (the current state of each task in a run) and their tries (one row per try).

The scheduler writes these in batches: `insert_instances` and `update_instances` take many
rows and run as one executemany each, so a pass over a thousand tasks is a handful of
statements in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from . import dialect
from .schema import task_instances, task_tries


@dataclass(frozen=True, slots=True)
class InstanceRow:
    run_id: str
    task_id: str
    map_index: int
    state: str
    try_number: int
    next_try_at: datetime | None
    start_date: datetime | None
    end_date: datetime | None
    error: str | None
    error_type: str | None


@dataclass(frozen=True, slots=True)
class TryRow:
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    state: str
    start_date: datetime | None
    end_date: datetime | None
    error: str | None
    error_type: str | None
    log_path: str | None
    log_text: str | None = None        # a short try's whole log (no file)
    log_error: str | None = None       # why the log could not be written
    callback_error: str | None = None  # the try's callback raised (one line; state unchanged)


# The driver's hot statements (every try writes an instance twice and a try row once) run as
# plain SQL with tuple parameters: SQLAlchemy Core's per-row work (a dict, compiled parameter
# processing) cost more than the database. Datetimes go through the column type's own bind
# processor, so what is stored is exactly what Core would store.
_INSERT_INSTANCE = ("INSERT INTO task_instances (run_id, task_id, map_index, state, try_number) "
                    "VALUES (?, ?, ?, ?, 0)")
_UPDATE_INSTANCE = ("UPDATE task_instances SET state = ?, try_number = ?, next_try_at = ?, "
                    "start_date = ?, end_date = ?, error = ?, error_type = ? "
                    "WHERE run_id = ? AND task_id = ? AND map_index = ?")
_INSERT_TRY = ("INSERT INTO task_tries (run_id, task_id, map_index, try_number, state, "
               "start_date, end_date, error, error_type, log_path, log_text, log_error, "
               "callback_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _sql(conn: sa.Connection, text: str) -> str:
    return text.replace("?", dialect.placeholder(conn))


def execute_many(conn: sa.Connection, text: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """`text` (with ? marks) for each row, on the DBAPI cursor of `conn`'s transaction: the
    same connection and transaction as Core's, without its per-statement bookkeeping."""
    with dialect.dbapi_cursor(conn) as cursor:
        cursor.executemany(_sql(conn, text), rows)


def _time_param(conn: sa.Connection) -> Any:
    """The bind processor of the store's datetime columns for this connection's dialect."""
    dialect = conn.dialect
    found = _TIME_BINDERS.get(dialect.name)
    if found is None:
        found = _TIME_BINDERS[dialect.name] = (
            task_instances.c.start_date.type.bind_processor(dialect) or (lambda v: v))
    return found


_TIME_BINDERS: dict[str, Any] = {}


def insert_instances(conn: sa.Connection, run_id: str,
                     keys: Iterable[tuple[str, int]], state: str) -> None:
    rows = [(run_id, t, m, state) for t, m in keys]
    if rows:
        execute_many(conn, _INSERT_INSTANCE, rows)


def delete_instance(conn: sa.Connection, run_id: str, task_id: str, map_index: int) -> None:
    conn.execute(task_instances.delete().where(
        task_instances.c.run_id == run_id, task_instances.c.task_id == task_id,
        task_instances.c.map_index == map_index))


def update_instances(conn: sa.Connection, rows: Sequence[InstanceRow]) -> None:
    """Write the full current state of each instance (last write per key wins)."""
    if not rows:
        return
    t = _time_param(conn)
    execute_many(conn, _UPDATE_INSTANCE, [
        (r.state, r.try_number, t(r.next_try_at), t(r.start_date), t(r.end_date), r.error,
         r.error_type, r.run_id, r.task_id, r.map_index) for r in rows])


def insert_tries(conn: sa.Connection, rows: Sequence[TryRow]) -> None:
    """Record finished tries. Each try is written once, when it ends; a second write of the
    same try would be a second outcome and fails on the primary key, as it should."""
    if rows:
        t = _time_param(conn)
        execute_many(conn, _INSERT_TRY, [
            (r.run_id, r.task_id, r.map_index, r.try_number, r.state, t(r.start_date),
             t(r.end_date), r.error, r.error_type, r.log_path, r.log_text, r.log_error,
             r.callback_error) for r in rows])


_INSTANCE_COLUMNS = [task_instances.c[f] for f in InstanceRow.__slots__]


def instances_of_run(conn: sa.Connection, run_id: str) -> list[InstanceRow]:
    """Every instance of the run (selected in InstanceRow's field order, built by position:
    a run of 10,000 tasks reads them in one pass without a dict per row)."""
    q = sa.select(*_INSTANCE_COLUMNS).where(task_instances.c.run_id == run_id)
    return [InstanceRow(*r) for r in conn.execute(q)]


class InstanceOutcome(NamedTuple):
    """What a run's result shows of one instance (a tuple: 10,000 of them are read at the end
    of every `dag.run()`, so no dataclass per row and no column the result does not show)."""

    task_id: str
    map_index: int
    state: str
    try_number: int
    start_date: datetime | None
    end_date: datetime | None
    error: str | None


_OUTCOME_COLUMNS = [task_instances.c[f] for f in InstanceOutcome._fields]


def outcomes_of_run(conn: sa.Connection, run_id: str) -> list[InstanceOutcome]:
    q = sa.select(*_OUTCOME_COLUMNS).where(task_instances.c.run_id == run_id)
    return [InstanceOutcome(*r) for r in conn.execute(q)]


def tries_of(conn: sa.Connection, run_id: str, task_id: str | None = None) -> list[TryRow]:
    q = sa.select(task_tries).where(task_tries.c.run_id == run_id)
    if task_id is not None:
        q = q.where(task_tries.c.task_id == task_id)
    q = q.order_by(task_tries.c.task_id, task_tries.c.map_index, task_tries.c.try_number)
    return [TryRow(**{f: getattr(r, f) for f in TryRow.__slots__}) for r in conn.execute(q)]


def callback_errors_of_run(conn: sa.Connection, run_id: str) -> list[tuple[str, int, int, str]]:
    """(task_id, map_index, try_number, error) of each try of the run whose callback raised,
    by task, map index and try."""
    c = task_tries.c
    q = (sa.select(c.task_id, c.map_index, c.try_number, c.callback_error)
         .where(c.run_id == run_id, c.callback_error.is_not(None))
         .order_by(c.task_id, c.map_index, c.try_number))
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(q)]


@dataclass(frozen=True, slots=True)
class TryLogRef:
    """Where a try's log is: inline text, a file (path as recorded), or why there is none."""

    text: str | None
    path: str | None
    error: str | None


def log_of(conn: sa.Connection, run_id: str, task_id: str, map_index: int,
           try_number: int) -> TryLogRef | None:
    """The log reference of one finished try, or None if the try has no row yet (running)."""
    row = conn.execute(sa.select(task_tries.c.log_text, task_tries.c.log_path,
                                 task_tries.c.log_error).where(
        task_tries.c.run_id == run_id, task_tries.c.task_id == task_id,
        task_tries.c.map_index == map_index, task_tries.c.try_number == try_number)).first()
    return None if row is None else TryLogRef(row.log_text, row.log_path, row.log_error)


def reset_instances(conn: sa.Connection, run_id: str, keys: Sequence[tuple[str, int]]) -> None:
    """Back to `scheduled` for another try (the try number is kept: numbers go on)."""
    if keys:
        conn.execute(task_instances.update().where(
            task_instances.c.run_id == run_id, task_instances.c.task_id == sa.bindparam("k_task"),
            task_instances.c.map_index == sa.bindparam("k_map")).values(
            state="scheduled", next_try_at=None, start_date=None, end_date=None, error=None,
            error_type=None), [{"k_task": t, "k_map": m} for t, m in keys])


def set_states(conn: sa.Connection, run_id: str, keys: Sequence[tuple[str, int]], state: str,
               at: datetime, error: str | None = None) -> None:
    """An operator's mark: these instances are now `state` (nothing ran)."""
    if keys:
        conn.execute(task_instances.update().where(
            task_instances.c.run_id == run_id, task_instances.c.task_id == sa.bindparam("k_task"),
            task_instances.c.map_index == sa.bindparam("k_map")).values(
            state=state, next_try_at=None, end_date=at, error=error,
            error_type=None if error is None else "Marked"),
            [{"k_task": t, "k_map": m} for t, m in keys])


def insert_with_tries(conn: sa.Connection, run_id: str, keys: Sequence[tuple[str, int]],
                      tries: dict[str, int]) -> None:
    """Unexpanded instances of cleared mapped tasks, their try numbers carried on."""
    if keys:
        conn.execute(task_instances.insert(), [
            {"run_id": run_id, "task_id": t, "map_index": m, "state": "scheduled",
             "try_number": tries.get(t, 0)} for t, m in keys])
