"""The events pass: received events and dataset updates become runs.

Sources (legato.events) only write "received event" rows; this pass, run by the scheduler's
housekeeping, turns each pending row of an event-scheduled DAG into a run (run type "event",
logical date = when the event was received, `ctx.event` = its payload). The run and the
claim of its row commit in one transaction, and the claim is conditional (`run_id IS
NULL`): a kill -9 between the two leaves neither, and two schedulers on PostgreSQL cannot
both turn one row into a run.

A DAG with `schedule=[Dataset(a), Dataset(b)]` runs once every listed dataset has been
updated since its last dataset-triggered run (Airflow semantics: several updates of one
dataset in between make one run). Its cursor, the highest dataset_events id consumed, moves
with a compare-and-set in the run's transaction, so nothing is consumed twice. A paused DAG's
events wait for it to be unpaused.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa

from ..authoring.parsed import DagLike
from ..store import dags as dag_store
from ..store import events as event_store
from .runs_create import insert_new_run

log = logging.getLogger("legato.scheduler.events")
EVENT_RUN = "event"
DATASET_RUN = "dataset"
DATASET_CURSOR = "dataset"
BATCH = 50                           # events turned into runs per transaction
PER_PASS = 200                       # at most this many per pass: the loop stays responsive


class _Taken(Exception):
    """Another scheduler claimed the event (or moved the cursor) first: roll back."""


def is_event_triggered(dag: DagLike) -> bool:
    return bool(getattr(dag.schedule, "is_event_trigger", False))


def is_dataset_triggered(dag: DagLike) -> bool:
    return isinstance(dag.schedule, list | tuple) and bool(dag.schedule)


def create_event_runs(engine: sa.Engine, dags: Mapping[str, DagLike], now: datetime) -> int:
    """One pass over pending events and dataset updates; the number of runs created."""
    if not any(is_event_triggered(d) or is_dataset_triggered(d) for d in dags.values()):
        return 0
    with engine.connect() as conn:
        paused = dag_store.paused_ids(conn)
    active = {k: d for k, d in dags.items() if k not in paused}
    created = _from_received(engine, {k: d for k, d in active.items() if is_event_triggered(d)}, now)
    for dag in active.values():
        if is_dataset_triggered(dag):
            created += _from_datasets(engine, dag, now)
    return created


def _from_received(engine: sa.Engine, dags: Mapping[str, DagLike], now: datetime) -> int:
    if not dags:
        return 0
    with engine.connect() as conn:
        rows = event_store.pending(conn, dags, limit=PER_PASS)
    created = 0
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        try:                                 # one commit for the batch (SQLite pays per commit)
            created += _consume(engine, dags, batch, now)
        except _Taken:                       # another scheduler took one: go one by one
            for row in batch:
                try:
                    created += _consume(engine, dags, [row], now)
                except _Taken:
                    continue
    return created


def _consume(engine: sa.Engine, dags: Mapping[str, DagLike], rows: list[event_store.ReceivedEvent],
             now: datetime) -> int:
    """Runs for `rows` and their claims, all in one transaction (or none: _Taken)."""
    with engine.begin() as conn:
        for row in rows:
            run = insert_new_run(conn, dags[row.dag_id], row.received_at, event=row.payload,
                                 run_type=EVENT_RUN, interval=(row.received_at, row.received_at))
            if not event_store.claim(conn, row.id, run.run_id, now):
                raise _Taken
            log.info("event %s (%s %s) makes run %s", row.id, row.source, row.key, run.run_id)
    return len(rows)


def _from_datasets(engine: sa.Engine, dag: DagLike, now: datetime) -> int:
    uris = [d.uri for d in dag.schedule]
    with engine.connect() as conn:
        position = event_store.cursor(conn, dag.dag_id, DATASET_CURSOR)
        updates = event_store.dataset_updates(conn, uris, after=position or 0)
    if not set(uris) <= {u.uri for u in updates}:
        return 0                         # some listed dataset has not been updated yet
    last = max(u.id for u in updates)
    payload = [u.to_json() for u in updates]
    try:
        with engine.begin() as conn:
            if not event_store.advance(conn, dag.dag_id, DATASET_CURSOR, position, last, now):
                raise _Taken
            run = insert_new_run(conn, dag, now, event=payload, run_type=DATASET_RUN,
                                 interval=(min(u.created_at for u in updates), now))
            key = f"dataset_events {(position or 0) + 1}..{last}"
            event_id, _ = event_store.receive(conn, dag.dag_id, DATASET_RUN, key, payload, now)
            event_store.claim(conn, event_id, run.run_id, now)
    except _Taken:
        return 0
    log.info("datasets %s updated: run %s of %s", ", ".join(uris), run.run_id, dag.dag_id)
    return 1
