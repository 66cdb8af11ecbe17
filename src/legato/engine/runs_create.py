"""Creating a run: the run row and all its task instances, in one transaction.

Shared by every way a run begins: `dag.run()` (created `running`, driven at once), a manual
trigger, the schedule and a backfill (created `queued`, claimed by a scheduler).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypedDict, Unpack

import sqlalchemy as sa

from ..authoring.parsed import DagLike
from ..config import load_settings
from ..schedules.timetable import dag_timezone, data_interval
from ..store import dags as dag_store
from ..store import runs as run_store
from ..store import tries as try_store
from .planner import initial_instances
from .states import RunState


def new_run_id(run_type: str, logical_date: datetime) -> str:
    stamp = logical_date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{run_type}__{stamp}__{secrets.token_hex(3)}"


def record_dag(conn: sa.Connection, dag: DagLike, now: datetime) -> None:
    """Record a DAG's current spec (a `DAG` or a `ParsedDag`); a DAG new to the store starts
    paused unless it says otherwise (`is_paused_upon_creation`) or
    LEGATO_DAGS_PAUSED_AT_CREATION is false, as in Airflow."""
    paused = dag.is_paused_upon_creation
    if paused is None:
        paused = load_settings().dags_paused_at_creation
    dag_store.upsert_dag(conn, dag.dag_id, dag.fileloc, dag.spec_json(), now, paused=paused)


class RunOptions(TypedDict, total=False):
    """The keyword arguments of `insert_new_run`, for `create_run` to pass on."""

    params: Mapping[str, Any] | None
    event: Any
    run_type: str
    state: RunState
    interval: tuple[datetime, datetime] | None


def create_run(engine: sa.Engine, dag: DagLike, logical_date: datetime,
               **options: Unpack[RunOptions]) -> run_store.RunRow:
    """`insert_new_run` in a transaction of its own."""
    with engine.begin() as conn:
        return insert_new_run(conn, dag, logical_date, **options)


def insert_new_run(
    conn: sa.Connection,
    dag: DagLike,
    logical_date: datetime,
    *,
    params: Mapping[str, Any] | None = None,
    event: Any = None,
    run_type: str = "manual",
    state: RunState = RunState.QUEUED,
    interval: tuple[datetime, datetime] | None = None,
) -> run_store.RunRow:
    """`create_run` inside the caller's transaction (an event run commits with its claim)."""
    spec = dag.spec()
    start, end = interval or data_interval(dag.schedule, logical_date,
                                                dag_timezone(dag.start_date))
    now = datetime.now(UTC)
    run = run_store.RunRow(
        run_id=new_run_id(run_type, logical_date), dag_id=dag.dag_id, run_type=run_type,
        logical_date=logical_date, data_interval_start=start, data_interval_end=end,
        state=state.value, params={**dag.params, **(params or {})}, event=event,
        created_at=now, start_date=now if state is RunState.RUNNING else None, end_date=None,
    )
    record_dag(conn, dag, now)
    run_store.insert_run(conn, run)
    try_store.insert_instances(conn, run.run_id, initial_instances(spec), "scheduled")
    return run
