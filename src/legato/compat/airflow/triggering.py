"""What Airflow operators ask of other DAGs: trigger a run (TriggerDagRunOperator) and read
another run's task states (ExternalTaskSensor), through Legato's store and services."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .exceptions import AirflowException


def _find_dag(dag_id: str, fileloc: str) -> Any:
    """The DAG `dag_id`: in this process or the same file first, then the DAGs folder."""
    from ...config import load_settings
    from ...engine import registry
    from ...services.operate import find_dag
    from ...services.queries import NotFound

    try:
        return registry.get_dag(dag_id, fileloc)
    except registry.DagNotFound:
        pass
    settings = load_settings()
    for folder in (settings.dags_folder, Path(fileloc).parent):   # the file's own folder too
        try:
            return find_dag(replace(settings, dags_folder=Path(folder)), dag_id)
        except NotFound:
            continue
    raise AirflowException(f"Dag id {dag_id} not found in DagModel")


def trigger_run(op: Any, context: Any) -> str:
    """Queue a manual run of `op.trigger_dag_id` (a scheduler starts it)."""
    from ...config import store_in_use
    from ...engine.runs_create import create_run
    from ...store.db import open_engine

    dag = _find_dag(str(op.trigger_dag_id), op.dag.fileloc)
    when = op.logical_date or datetime.now(UTC)
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    run = create_run(open_engine(store_in_use().database_url), dag, when,
                     params=dict(op.conf or {}))
    context["ti"].xcom_push("trigger_run_id", run.run_id)
    return run.run_id


def external_states(dag_id: str, task_ids: list[str], logical_date: Any) -> list[str]:
    """States of `task_ids` (or of the run itself) in `dag_id`'s run at `logical_date`."""
    import sqlalchemy as sa

    from ...config import store_in_use
    from ...store.db import open_engine
    from ...store.schema import dag_runs
    from ...store.tries import instances_of_run

    engine = open_engine(store_in_use().database_url)
    with engine.connect() as conn:
        row = conn.execute(sa.select(dag_runs.c.run_id, dag_runs.c.state).where(
            dag_runs.c.dag_id == dag_id,
            dag_runs.c.logical_date == logical_date.astimezone(UTC))).first()
        if row is None:
            return []
        if not task_ids:
            return [row.state]
        wanted = set(task_ids)
        return [i.state for i in instances_of_run(conn, row.run_id) if i.task_id in wanted]
