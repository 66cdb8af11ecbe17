"""Incidents: open, occurrence, resolve; their event history; the remote id each sink gave them.

Functions take the connection, so the listener writes an incident change and its outbox rows
in the transaction that records the task state behind them. At most one incident per
fingerprint is open: `open_key` holds the fingerprint while open (NULL once resolved) under a
unique constraint, so two schedulers failing the same task at once open one incident, not two.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from . import dialect
from .schema import dag_runs, dags, incident_events, incident_refs, incidents, task_tries

TASK_KINDS = ("task_failure", "sensor_timeout", "data_quality")


@dataclass
class IncidentRow:
    id: int
    uid: str
    fingerprint: str
    kind: str
    state: str
    severity: str
    dag_id: str
    task_id: str | None
    map_index: int
    error_type: str | None
    error: str | None
    run_id: str | None
    logical_date: datetime | None
    try_number: int
    tries: int
    occurrences: int
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    sinks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class EventRow:
    id: int
    incident_id: int
    event: str
    reason: str
    run_id: str | None
    try_number: int | None
    error: str | None
    at: datetime


def _row(r: Any) -> IncidentRow:
    return IncidentRow(
        r.id, r.uid, r.fingerprint, r.kind, r.state, r.severity, r.dag_id, r.task_id,
        r.map_index, r.error_type, r.error, r.run_id, r.logical_date, r.try_number, r.tries,
        r.occurrences, r.opened_at, r.updated_at, r.resolved_at, json.loads(r.sinks_json or "[]"))


def open_of_dag(conn: sa.Connection, dag_id: str) -> list[IncidentRow]:
    q = sa.select(incidents).where(incidents.c.dag_id == dag_id, incidents.c.state == "open")
    return [_row(r) for r in conn.execute(q)]


def open_task_ids(conn: sa.Connection, dag_id: str) -> set[str]:
    """Tasks of `dag_id` with an open incident, "" for a DAG-level one (an SLA miss); one small
    indexed query."""
    q = sa.select(incidents.c.task_id).where(incidents.c.dag_id == dag_id,
                                             incidents.c.state == "open")
    return {r[0] or "" for r in conn.execute(q)}


def succeeded_since(conn: sa.Connection,
                    dag_id: str | None = None) -> list[tuple[int, str, datetime]]:
    """(incident id, run id, end) of the first success of each open task incident's task after
    the incident's last failure, for the ones that have one."""
    tries = task_tries.join(dag_runs, dag_runs.c.run_id == task_tries.c.run_id)
    q = (sa.select(incidents.c.id, task_tries.c.run_id, task_tries.c.end_date)
         .select_from(incidents.join(tries, sa.and_(
             dag_runs.c.dag_id == incidents.c.dag_id, task_tries.c.task_id == incidents.c.task_id)))
         .where(incidents.c.state == "open", incidents.c.kind.in_(TASK_KINDS),
                task_tries.c.state == "success", task_tries.c.end_date > incidents.c.updated_at,
                sa.or_(task_tries.c.run_id != incidents.c.run_id,     # not a mapped sibling
                       task_tries.c.map_index == incidents.c.map_index))
         .order_by(incidents.c.id, task_tries.c.end_date))
    if dag_id is not None:
        q = q.where(incidents.c.dag_id == dag_id)
    first: dict[int, tuple[int, str, datetime]] = {}
    for r in conn.execute(q):
        first.setdefault(r[0], (r[0], r[1], r[2]))
    return list(first.values())


def by_open_key(conn: sa.Connection, fingerprint: str) -> IncidentRow | None:
    r = conn.execute(sa.select(incidents).where(incidents.c.open_key == fingerprint)).first()
    return _row(r) if r is not None else None


def get(conn: sa.Connection, incident_id: int) -> IncidentRow | None:
    r = conn.execute(sa.select(incidents).where(incidents.c.id == incident_id)).first()
    return _row(r) if r is not None else None


def insert_open(conn: sa.Connection, values: dict[str, Any]) -> int | None:
    """Insert an open incident; None if one with this fingerprint is already open."""
    values = dict(values)
    sinks = values.pop("sinks", [])
    values.update(open_key=values["fingerprint"], state="open",
                  sinks_json=json.dumps(sinks, sort_keys=True))
    new_id = dialect.insert_if_absent(conn, incidents, values, ["open_key"], incidents.c.id)
    return None if new_id is None else int(new_id)


def update(conn: sa.Connection, incident_id: int, **values: Any) -> None:
    conn.execute(incidents.update().where(incidents.c.id == incident_id).values(**values))


def resolve(conn: sa.Connection, incident_id: int, at: datetime) -> bool:
    """Resolve if still open; False if someone else already did."""
    result = conn.execute(
        incidents.update().where(incidents.c.id == incident_id, incidents.c.state == "open")
        .values(state="resolved", open_key=None, resolved_at=at, updated_at=at))
    return result.rowcount == 1


def add_event(conn: sa.Connection, incident_id: int, event: str, reason: str, at: datetime, *,
              run_id: str | None = None, try_number: int | None = None,
              error: str | None = None) -> None:
    conn.execute(incident_events.insert().values(
        incident_id=incident_id, event=event, reason=reason, run_id=run_id,
        try_number=try_number, error=error, at=at))


def events_of(conn: sa.Connection, incident_id: int) -> list[EventRow]:
    q = (sa.select(incident_events).where(incident_events.c.incident_id == incident_id)
         .order_by(incident_events.c.id))
    return [EventRow(r.id, r.incident_id, r.event, r.reason, r.run_id, r.try_number, r.error,
                     r.at) for r in conn.execute(q)]


def run_ids_of(conn: sa.Connection, incident_id: int) -> set[str]:
    q = sa.select(incident_events.c.run_id).where(incident_events.c.incident_id == incident_id)
    return {r[0] for r in conn.execute(q) if r[0] is not None}


def list_incidents(conn: sa.Connection, *, state: str | None = None, dag_id: str | None = None,
                   limit: int = 50) -> list[IncidentRow]:
    q = sa.select(incidents).order_by(incidents.c.id.desc()).limit(limit)
    if state is not None:
        q = q.where(incidents.c.state == state)
    if dag_id is not None:
        q = q.where(incidents.c.dag_id == dag_id)
    return [_row(r) for r in conn.execute(q)]


def durations(conn: sa.Connection) -> list[tuple[str, str, datetime, datetime | None]]:
    """(dag_id, state, opened_at, resolved_at) of every incident, for the figures."""
    q = sa.select(incidents.c.dag_id, incidents.c.state, incidents.c.opened_at,
                  incidents.c.resolved_at)
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(q)]


def logical_date_of(conn: sa.Connection, run_id: str) -> datetime | None:
    return conn.execute(sa.select(dag_runs.c.logical_date)
                        .where(dag_runs.c.run_id == run_id)).scalar()


def dag_sinks(conn: sa.Connection, dag_id: str) -> list[dict[str, Any]]:
    """The incident sinks the DAG's stored spec declares (`DAG(..., incidents=[...])`)."""
    raw = conn.execute(sa.select(dags.c.spec_json).where(dags.c.dag_id == dag_id)).scalar()
    if not raw:
        return []
    return list(json.loads(raw).get("incidents") or [])


def get_ref(conn: sa.Connection, incident_id: int, sink_key: str) -> dict[str, Any] | None:
    raw = conn.execute(sa.select(incident_refs.c.ref_json).where(
        incident_refs.c.incident_id == incident_id, incident_refs.c.sink_key == sink_key)).scalar()
    return json.loads(raw) if raw else None


def set_ref(conn: sa.Connection, incident_id: int, sink_key: str, ref: dict[str, Any]) -> None:
    raw = json.dumps(ref, sort_keys=True)
    done = conn.execute(incident_refs.update().where(
        incident_refs.c.incident_id == incident_id, incident_refs.c.sink_key == sink_key)
        .values(ref_json=raw))
    if done.rowcount == 0:
        conn.execute(incident_refs.insert().values(incident_id=incident_id, sink_key=sink_key,
                                                   ref_json=raw))
