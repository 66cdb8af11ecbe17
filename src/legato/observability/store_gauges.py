"""Gauges read from the store at scrape time, so they are right in any process that serves
/metrics (a `legato server` without a scheduler too): task instances of unfinished runs by
state (the queue depth is queued + scheduled + up_for_retry), runs by state, open incidents,
pending outbox rows and dead letters by status.

Cost: five grouped counts per scrape. Task instances are counted only for queued and running
runs (the finished history is unbounded; finished runs' instances are final anyway). If the
store cannot be read, `legato_store_up` is 0 and the store gauges are left out rather than
failing the whole scrape (the bus-fed metrics are still worth having).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from ..store import dead_letters as dead_letter_store
from ..store import outbox as outbox_store
from ..store.db import open_engine
from ..store.schema import dag_runs, incidents, task_instances
from .metrics import Family, Sample

log = logging.getLogger("legato.metrics")
TASK_STATES = ("scheduled", "queued", "running", "deferred", "up_for_retry", "success", "failed",
               "skipped", "upstream_failed")
RUN_STATES = ("queued", "running", "success", "failed")
LETTER_STATUSES = dead_letter_store.STATUSES
ACTIVE_RUN_STATES = ("queued", "running")


def _by_state(name: str, help: str, label: str, known: tuple[str, ...],
              counts: dict[str, int]) -> Family:
    """Every known state appears (0 included), so a series never vanishes between scrapes."""
    merged = dict.fromkeys(known, 0) | counts
    return Family(name, "gauge", help,
                  [Sample(name, ((label, k),), float(v)) for k, v in sorted(merged.items())])


def _grouped(conn: sa.Connection, query: sa.Select) -> dict[str, int]:
    return {str(state): int(n) for state, n in conn.execute(query)}


def read(conn: sa.Connection) -> list[Family]:
    ti, dr = task_instances.c, dag_runs.c
    active = sa.select(dr.run_id).where(dr.state.in_(ACTIVE_RUN_STATES))
    tasks = _grouped(conn, sa.select(ti.state, sa.func.count()).where(ti.run_id.in_(active))
                     .group_by(ti.state))
    runs = _grouped(conn, sa.select(dr.state, sa.func.count()).group_by(dr.state))
    open_incidents = conn.execute(sa.select(sa.func.count()).select_from(incidents)
                                  .where(incidents.c.state == "open")).scalar() or 0
    return [
        _by_state("legato_task_instances", "Task instances of queued and running runs, by state "
                  "(queue depth: queued + scheduled + up_for_retry).", "state", TASK_STATES, tasks),
        _by_state("legato_runs", "Runs in the store, by state.", "state", RUN_STATES, runs),
        Family("legato_incidents_open", "gauge", "Open incidents.",
               [Sample("legato_incidents_open", (), float(open_incidents))]),
        Family("legato_outbox_pending", "gauge", "Incident events waiting for delivery.",
               [Sample("legato_outbox_pending", (), float(outbox_store.pending_count(conn)))]),
        _by_state("legato_dead_letters", "Dead letters, by status.", "status", LETTER_STATUSES,
                  dead_letter_store.counts_by_status(conn)),
    ]


def collect(database_url: str) -> list[Family]:
    up = Family("legato_store_up", "gauge", "1 if the store answered this scrape, else 0.")
    try:
        with open_engine(database_url).connect() as conn:
            families = read(conn)
    except Exception:  # a scrape reports the outage instead of failing
        log.exception("metrics: the store could not be read")
        return [Family(up.name, up.type, up.help, [Sample(up.name, (), 0.0)])]
    return [Family(up.name, up.type, up.help, [Sample(up.name, (), 1.0)]), *families]
