"""Operator use cases: trigger a run, pause and unpause a DAG, backfill a range of dates.

They only write the store; a running scheduler (or `legato backfill` itself) drives the runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..authoring.dag import parse_datetime
from ..authoring.parsed import ParsedDag
from ..config import Settings
from ..engine.runs_create import create_run, record_dag
from ..engine.wakeup import notify
from ..errors import InvalidInput
from ..schedules.timetable import dag_timezone, intervals_between, next_fire
from ..services.queries import NotFound, discover_dags
from ..store import dags as dag_store
from ..store import runs as run_store
from ..store.db import open_engine


def find_dag(settings: Settings, dag_id: str) -> ParsedDag:
    """The DAG as last parsed from the DAGs folder (never imported here: services/dagbag.py).
    Not found: the message lists the DAGs found and the folder's import errors, since a
    DAG whose file fails to import is usually what the caller was looking for."""
    loaded = discover_dags(settings)
    dag = loaded.get(dag_id)
    if dag is not None:
        return dag
    known = ", ".join(sorted(d.dag_id for d in loaded.dags)) or "none"
    errors = "".join(f"\n  import error: {e}" for e in loaded.errors)
    raise NotFound(f"no DAG {dag_id!r} in {settings.dags_folder} (found: {known}){errors}")


def is_paused(settings: Settings, dag_id: str) -> bool:
    with open_engine(settings.database_url).connect() as conn:
        return dag_store.is_paused(conn, dag_id)


def trigger(settings: Settings, dag_id: str, logical_date: datetime | str | None = None,
            params: Mapping[str, Any] | None = None) -> run_store.RunRow:
    """Queue a manual run; the scheduler starts it (respecting max_active_runs and pause)."""
    dag = find_dag(settings, dag_id)
    when = (parse_datetime(logical_date, what="logical_date") if logical_date
            else datetime.now().astimezone())
    run = create_run(open_engine(settings.database_url), dag, when, params=params)
    notify(settings.database_url, settings.home)       # a running scheduler starts it now
    return run


def set_paused(settings: Settings, dag_id: str, paused: bool) -> None:
    engine = open_engine(settings.database_url)
    with engine.begin() as conn:
        if dag_store.set_paused(conn, dag_id, paused):
            return
    dag = find_dag(settings, dag_id)           # known on disk but never stored yet
    with engine.begin() as conn:
        record_dag(conn, dag, datetime.now().astimezone())
        dag_store.set_paused(conn, dag_id, paused)


def backfill(settings: Settings, dag_id: str, start: datetime | str, end: datetime | str, *,
             rerun: bool = False) -> list[run_store.RunRow]:
    """Queue one run per data interval in [start, end]; dates with a successful run are left
    alone unless `rerun` (so repeating a backfill does nothing twice)."""
    dag = find_dag(settings, dag_id)
    if dag.schedule is None:
        raise InvalidInput(f"DAG {dag_id!r} has no schedule, so no intervals to backfill")
    first = parse_datetime(start, what="--start")
    last = parse_datetime(end, what="--end")
    if last < first:
        raise InvalidInput("--end is before --start")
    engine = open_engine(settings.database_url)
    with engine.connect() as conn:
        done = run_store.successful_logical_dates(conn, dag_id)
    created = []
    tz = dag_timezone(dag.start_date)
    horizon = next_fire(dag.schedule, last, tz) or last
    for due in intervals_between(dag.schedule, first, horizon, tz):
        if due.logical_date > last or (due.logical_date in done and not rerun):
            continue
        created.append(create_run(engine, dag, due.logical_date, run_type="backfill",
                                  interval=(due.data_interval_start, due.data_interval_end)))
    if created:
        notify(settings.database_url, settings.home)
    return created
