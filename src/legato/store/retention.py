"""Forgetting old runs: the rows of finished runs older than a cutoff, for `legato db clean`.

A run's own rows go (the run, its task instances, tries, results and pushed values, requests,
SLA misses); what outlives runs stays: incidents and their history, the audit log, dead
letters, drift reports, dataset events and the catalog keep their run ids as plain text.
Each batch of runs is one transaction, so a clean interrupted half way leaves whole runs.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from .schema import dag_runs, run_requests, sla_misses, task_instances, task_tries, xcom

FINISHED = ("success", "failed", "cancelled")
_OWN_ROWS = (task_instances, task_tries, xcom, run_requests, sla_misses)


def old_runs(conn: sa.Connection, cutoff: datetime, limit: int = 500) -> list[tuple[str, str]]:
    """(run_id, dag_id) of finished runs that ended (or, lacking an end, began) before
    `cutoff`, oldest first."""
    ended = sa.func.coalesce(dag_runs.c.end_date, dag_runs.c.created_at)
    q = (sa.select(dag_runs.c.run_id, dag_runs.c.dag_id)
         .where(dag_runs.c.state.in_(FINISHED), ended < cutoff).order_by(ended).limit(limit))
    return [(r.run_id, r.dag_id) for r in conn.execute(q)]


def delete_runs(conn: sa.Connection, run_ids: list[str]) -> list[str]:
    """Delete those of these runs still finished, with their own rows; the ids of those that
    went.
    A run cleared since it was found (queued or running again) keeps every row. The runs to
    delete are locked first on PostgreSQL, so a concurrent reopen waits for this transaction
    or is seen; on SQLite one writer at a time does the same."""
    if not run_ids:
        return []
    finished = (sa.select(dag_runs.c.run_id)
                .where(dag_runs.c.run_id.in_(run_ids), dag_runs.c.state.in_(FINISHED))
                .with_for_update())             # SQLite compiles it without the clause
    doomed = list(conn.execute(finished).scalars())
    if not doomed:
        return []
    for table in _OWN_ROWS:
        conn.execute(table.delete().where(table.c.run_id.in_(doomed)))
    conn.execute(dag_runs.delete().where(dag_runs.c.run_id.in_(doomed)))
    return doomed
