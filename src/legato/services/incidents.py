"""Incident use cases shared by the CLI, the API and the UI: list, show, figures; and wiring the
listener and the dispatcher into a long-running scheduler."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..config import Settings
from ..engine.bus import Bus
from ..errors import InvalidInput
from ..store import incidents as store
from ..store import outbox
from ..store.db import open_engine
from .queries import NotFound

STATES = ("open", "resolved")


def incident_json(inc: store.IncidentRow) -> dict[str, Any]:
    def iso(v: Any) -> str | None:
        return v.isoformat() if v is not None else None

    return {"id": inc.id, "fingerprint": inc.fingerprint, "kind": inc.kind, "state": inc.state,
            "severity": inc.severity, "dag_id": inc.dag_id, "task_id": inc.task_id,
            "run_id": inc.run_id, "logical_date": iso(inc.logical_date), "error": inc.error,
            "error_type": inc.error_type, "tries": inc.tries, "occurrences": inc.occurrences,
            "opened_at": iso(inc.opened_at), "updated_at": iso(inc.updated_at),
            "resolved_at": iso(inc.resolved_at),
            "sinks": [s.get("type") for s in inc.sinks]}


def list_incidents(settings: Settings, state: str | None = None, dag_id: str | None = None,
                   limit: int = 50) -> list[store.IncidentRow]:
    if state is not None and state not in STATES:
        raise InvalidInput(f"state must be one of {', '.join(STATES)}, not {state!r}")
    with open_engine(settings.database_url).connect() as conn:
        return store.list_incidents(conn, state=state, dag_id=dag_id, limit=limit)


@dataclass(frozen=True)
class IncidentDetail:
    incident: store.IncidentRow
    events: list[store.EventRow]
    deliveries: list[outbox.OutboxRow]

    def to_json(self) -> dict[str, Any]:
        return {**incident_json(self.incident),
                "events": [{"event": e.event, "reason": e.reason, "run_id": e.run_id,
                            "try_number": e.try_number, "error": e.error, "at": e.at.isoformat()}
                           for e in self.events],
                "deliveries": [{"id": d.id, "sink": d.sink.get("type"), "event": d.event,
                                "state": d.state, "attempts": d.attempts,
                                "next_attempt_at": d.next_attempt_at.isoformat(),
                                "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
                                "last_error": d.last_error} for d in self.deliveries]}


def show_incident(settings: Settings, incident_id: int) -> IncidentDetail:
    with open_engine(settings.database_url).connect() as conn:
        inc = store.get(conn, incident_id)
        if inc is None:
            raise NotFound(f"no incident {incident_id}")
        return IncidentDetail(inc, store.events_of(conn, incident_id),
                              outbox.of_incident(conn, incident_id))


def resolve_incident(settings: Settings, incident_id: int, who: str,
                     note: str | None = None) -> IncidentDetail:
    """Resolve an open incident by hand (its sinks get `resolved`); Conflict if it is not
    open, NotFound if there is none."""
    from ..errors import Conflict
    from ..incidents.listener import resolve_by_hand

    detail = show_incident(settings, incident_id)
    if not resolve_by_hand(settings, incident_id, who, note):
        raise Conflict(f"incident {incident_id} is {detail.incident.state}, not open")
    return show_incident(settings, incident_id)


def incident_figures(settings: Settings) -> dict[str, Any]:
    """Open incidents (total and per DAG) and mean time to resolution per DAG, in seconds."""
    with open_engine(settings.database_url).connect() as conn:
        rows = store.durations(conn)
    open_by: dict[str, int] = defaultdict(int)
    spans: dict[str, list[float]] = defaultdict(list)
    for dag_id, state, opened, resolved in rows:
        if state == "open":
            open_by[dag_id] += 1
        elif resolved is not None:
            spans[dag_id].append((resolved - opened).total_seconds())
    dags = sorted(set(open_by) | set(spans))
    per_dag = [{"dag_id": d, "open": open_by.get(d, 0), "resolved": len(spans.get(d, [])),
                "mttr_s": (sum(spans[d]) / len(spans[d])) if spans.get(d) else None} for d in dags]
    every = [s for v in spans.values() for s in v]
    return {"open": sum(open_by.values()),
            "mttr_s": (sum(every) / len(every)) if every else None, "dags": per_dag}


def start_incidents(settings: Settings, bus: Bus) -> Any:
    """For a long-running scheduler: every listener on `bus` (incidents, lineage, metrics) and
    the incidents dispatcher thread (returned; call `.stop()` on shutdown)."""
    from ..incidents.dispatcher import Dispatcher
    from .listeners import attach_all

    attach_all(bus, settings)
    return Dispatcher(settings).start()
