"""What a run processed, so an incident is resolved only by a success on the same input.

A scheduled or manual run is the DAG's recurring job: the task's next success, in any run,
says the job works again, and resolves the task's incident. A run started by an event (a
file, a message, a webhook), by dataset updates, or by a backfill of one date processes one
particular input instead: the next file succeeding says nothing about the bad one. Such a
run has a scope, and it is part of the incident's fingerprint, so each bad input is its own
incident, resolved only by a success of the task on that input (a retry or a re-run of that
run, a backfill of that date again) or by hand:

- event and dataset runs: `<source>:<key>` of the received event that made the run (the file
  URL, the message id, the webhook event id, the range of dataset updates consumed);
- backfill runs: `date:<logical date>`, and any run of that logical date resolves it.

Read from the store on failures and on successes of tasks with an open incident only (the
listener's hot path stays query-free), with SQLAlchemy Core on the store's tables.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..store.events import key_hash
from ..store.schema import dag_runs, received_events, task_tries

KEYED_RUN_TYPES = ("event", "dataset")
DATE_RUN_TYPES = ("backfill",)
DATE = "date:"


def _iso(value: datetime) -> str:
    return value.isoformat()


def scope_of(conn: sa.Connection, run_id: str | None) -> str | None:
    """The input `run_id` processed, or None for a run of the recurring job."""
    if run_id is None:
        return None
    row = conn.execute(sa.select(dag_runs.c.run_type, dag_runs.c.logical_date)
                       .where(dag_runs.c.run_id == run_id)).first()
    if row is None:
        return None
    if row.run_type in DATE_RUN_TYPES:
        return DATE + _iso(row.logical_date)
    if row.run_type not in KEYED_RUN_TYPES:
        return None
    event = conn.execute(sa.select(received_events.c.source, received_events.c.key)
                         .where(received_events.c.run_id == run_id)
                         .order_by(received_events.c.id).limit(1)).first()
    return f"{event.source}:{event.key}" if event is not None else f"run:{run_id}"


def covers(conn: sa.Connection, scope: str | None, run_id: str) -> bool:
    """Whether a success in `run_id` is a success on the input `scope` names."""
    if scope is None:
        return True
    if scope.startswith(DATE):
        logical = conn.execute(sa.select(dag_runs.c.logical_date)
                               .where(dag_runs.c.run_id == run_id)).scalar()
        return logical is not None and DATE + _iso(logical) == scope
    return scope_of(conn, run_id) == scope


def _runs_of_scope(dag_id: str, scope: str) -> sa.ColumnElement[bool]:
    """A condition on dag_runs (joined with task_tries) selecting the runs on `scope`'s input."""
    if scope.startswith(DATE):
        return dag_runs.c.logical_date == datetime.fromisoformat(scope.removeprefix(DATE))
    kind, _, key = scope.partition(":")
    if kind == "run":
        return dag_runs.c.run_id == key
    return dag_runs.c.run_id.in_(sa.select(received_events.c.run_id).where(   # its unique index
        received_events.c.dag_id == dag_id, received_events.c.source == kind,
        received_events.c.key_hash == key_hash(key)))


def success_in_scope(conn: sa.Connection, dag_id: str, task_id: str, scope: str,
                     after: datetime) -> tuple[str, datetime] | None:
    """(run id, end) of the first success of the task on `scope`'s input after `after`."""
    q = (sa.select(task_tries.c.run_id, task_tries.c.end_date)
         .select_from(task_tries.join(dag_runs, dag_runs.c.run_id == task_tries.c.run_id))
         .where(dag_runs.c.dag_id == dag_id, task_tries.c.task_id == task_id,
                task_tries.c.state == "success", task_tries.c.end_date > after,
                _runs_of_scope(dag_id, scope))
         .order_by(task_tries.c.end_date).limit(1))
    row = conn.execute(q).first()
    return None if row is None else (row[0], row[1])
