"""SLA misses: recorded once per run, so a miss is reported exactly once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .schema import dag_runs, sla_misses


def candidates(conn: sa.Connection, dag_id: str, interval_end_before: datetime) -> list[sa.Row[Any]]:
    """Scheduled runs of `dag_id` whose data interval ended before the cut-off and have no
    miss yet (manual runs and backfills of old dates have no SLA, as in Airflow)."""
    recorded = sa.select(sla_misses.c.run_id)
    q = (sa.select(dag_runs.c.run_id, dag_runs.c.data_interval_end, dag_runs.c.state,
                   dag_runs.c.end_date)
         .where(dag_runs.c.dag_id == dag_id, dag_runs.c.run_type == "scheduled",
                dag_runs.c.data_interval_end < interval_end_before,
                dag_runs.c.run_id.not_in(recorded)))
    return list(conn.execute(q))


def record(conn: sa.Connection, run_id: str, dag_id: str, deadline: datetime,
           now: datetime) -> None:
    conn.execute(sla_misses.insert().values(run_id=run_id, dag_id=dag_id, deadline=deadline,
                                            detected_at=now))


def misses(conn: sa.Connection, dag_id: str | None = None) -> list[sa.Row[Any]]:
    q = sa.select(sla_misses).order_by(sla_misses.c.detected_at)
    if dag_id is not None:
        q = q.where(sla_misses.c.dag_id == dag_id)
    return list(conn.execute(q))
