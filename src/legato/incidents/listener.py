"""The incidents listener: subscribes to the engine's bus *inside* the transaction that records
each state change, and writes incident changes and their outbox rows through that
connection, so a failure recorded is a ticket queued, atomically.

Cost on the hot path: a success must cost nothing when its task has no open incident. The
listener keeps, per DAG, the set of tasks with an open incident, read from the store at most
once per CACHE_TTL_S and kept current with what this listener opens and resolves. Another
process (a scheduler, another `dag.run()`) may open an incident after that read; a success
seen through the stale set is then caught by `reconcile`, which the dispatcher runs on every
pass: it resolves open incidents whose task has succeeded since their last failure, from
task_tries, so the result is the same, only later. Failures and retries always read the store.

Incidents of runs on one input (an event, dataset updates, a backfilled date) carry the input
in their fingerprint and are resolved only by a success on that input (incidents/scope.py) or
by hand (`resolve_by_hand`); comments of retries go to the incident of the retried input.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..config import Settings
from ..engine.bus import Bus, RunFinished, SlaMissed, TaskFinished
from ..store import incidents as store
from ..store import outbox
from . import lifecycle as lc
from . import scope as sc
from .config import SinkConfig, parse_global_sinks, sink_from_spec

log = logging.getLogger("legato.incidents")
CACHE_TTL_S = 1.0


class IncidentListener:
    def __init__(self, settings: Settings, global_sinks: Iterable[SinkConfig] | None = None) -> None:
        self.base_url = settings.base_url
        self.global_sinks = tuple(global_sinks if global_sinks is not None
                                  else parse_global_sinks(settings.incidents))
        self.emitted = 0                      # outbox rows written (dag.run drains if any)
        self._open: dict[str, tuple[float, set[str]]] = {}
        self._queued: list[list[Any]] = []    # [incident, event, doc, merged, at]

    def attach(self, bus: Bus) -> IncidentListener:
        bus.subscribe_in_tx(TaskFinished, self.handler(self._on_tasks))
        bus.subscribe_in_tx(SlaMissed, self.handler(self._on_sla))
        bus.subscribe_in_tx(RunFinished, self.handler(self._on_runs))
        return self

    def handler(self, step: Callable[[sa.Connection, list[Any]], None]
                ) -> Callable[[sa.Connection, list[Any]], None]:
        """`step` as a bus handler: the outbox rows of what it did are written when it ends,
        even when it fails part way (what it did before still commits with the engine)."""
        def handle(conn: sa.Connection, events: list[Any]) -> None:
            try:
                step(conn, events)
            finally:
                self._enqueue(conn)
        return handle

    # -- handlers (called inside the engine's transaction) -------------------------------
    def _open_tasks(self, conn: sa.Connection, dag_id: str) -> set[str]:
        cached = self._open.get(dag_id)
        now = time.monotonic()
        if cached is None or now - cached[0] > CACHE_TTL_S:
            cached = (now, store.open_task_ids(conn, dag_id))
            self._open[dag_id] = cached
        return cached[1]

    def _may_have_open(self, conn: sa.Connection, ev: TaskFinished) -> bool:
        """Whether the task may have an open incident: for a success, the cached set (the hot
        path; a stale miss is caught by `reconcile`); a retry is rare and `_retry` asks the
        store, so it may always; a failure does not need to know."""
        if ev.state == "success":
            return ev.task_id in self._open_tasks(conn, ev.dag_id)
        return ev.state == "up_for_retry"

    def _on_tasks(self, conn: sa.Connection, events: list[TaskFinished]) -> None:
        for ev in events:
            action = lc.action_for(ev.state, self._may_have_open(conn, ev))
            if action == "open":
                self._occur(conn, ev.dag_id, ev.task_id, ev.map_index, lc.kind_of(ev.error_type),
                            ev.error_type, ev.error, ev.run_id, ev.try_number, ev.at)
                self._open_tasks(conn, ev.dag_id).add(ev.task_id)
            elif action == "retry":
                self._retry(conn, ev)
            elif action == "resolve" and self._resolve_task(conn, ev):
                self._open_tasks(conn, ev.dag_id).discard(ev.task_id)

    def reconcile(self, conn: sa.Connection, dag_id: str | None = None) -> int:
        """Resolve open task incidents whose task succeeded after their last failure (a
        success this or another process saw through a stale cache); returns how many."""
        done = 0
        for inc_id, run_id, at in store.succeeded_since(conn, dag_id):
            inc = store.get(conn, inc_id)
            if inc is None or inc.state != "open":
                continue
            scope = sc.scope_of(conn, inc.run_id)
            if scope is not None and not sc.covers(conn, scope, run_id):
                found = sc.success_in_scope(conn, inc.dag_id, inc.task_id or "", scope,
                                            inc.updated_at)
                if found is None:
                    continue                  # successes on other inputs only
                run_id, at = found
            self._close(conn, inc, run_id, at, f"Resolved: {inc.task_id} succeeded in run "
                                               f"{run_id}.")
            done += 1
        self._enqueue(conn)
        return done

    def _on_sla(self, conn: sa.Connection, events: list[SlaMissed]) -> None:
        for ev in events:
            error = f"run {ev.run_id} did not finish by its SLA deadline {ev.deadline.isoformat()}"
            self._occur(conn, ev.dag_id, None, -1, "sla_miss", "SlaMissed", error, ev.run_id, 0,
                        ev.at)
            self._open_tasks(conn, ev.dag_id).add("")

    def _on_runs(self, conn: sa.Connection, events: list[RunFinished]) -> None:
        for ev in events:
            if ev.state != "success" or "" not in self._open_tasks(conn, ev.dag_id):
                continue
            for inc in store.open_of_dag(conn, ev.dag_id):
                if inc.kind == "sla_miss" and ev.run_id not in store.run_ids_of(conn, inc.id):
                    self._close(conn, inc, ev.run_id, ev.at,
                                f"run {ev.run_id} succeeded after the SLA miss")

    # -- lifecycle steps ----------------------------------------------------------------
    def _sinks_for(self, conn: sa.Connection, dag_id: str) -> list[dict[str, Any]]:
        specs: dict[str, dict[str, Any]] = {}
        for spec in store.dag_sinks(conn, dag_id):
            try:
                sink = sink_from_spec(spec)
            except ValueError as exc:
                log.error("DAG %s: ignoring incident sink %r: %s", dag_id, spec, exc)
                continue
            specs.setdefault(sink.key, sink.to_spec())
        for sink in self.global_sinks:
            specs.setdefault(sink.key, sink.to_spec())
        return list(specs.values())

    def _occur(self, conn: sa.Connection, dag_id: str, task_id: str | None, map_index: int,
               kind: str, error_type: str | None, error: str | None, run_id: str, try_number: int,
               at: datetime) -> None:
        """Open an incident, or add an occurrence to the open one. `tries` counts the failed
        tries behind the incident: all of the run's tries when it opens, then one per retry
        comment and one per occurrence (that run's earlier tries were counted as retries)."""
        scope = sc.scope_of(conn, run_id) if task_id else None
        fp = lc.fingerprint(dag_id, task_id, kind, error_type, scope)
        logical = store.logical_date_of(conn, run_id)
        inc = store.by_open_key(conn, fp)
        if inc is None:
            new_id = store.insert_open(conn, {
                "uid": secrets.token_hex(16), "fingerprint": fp, "kind": kind,
                "severity": lc.SEVERITY[kind], "dag_id": dag_id, "task_id": task_id,
                "map_index": map_index, "error_type": error_type, "error": error,
                "run_id": run_id, "logical_date": logical, "try_number": try_number,
                "tries": max(try_number, 1) if task_id else 0, "occurrences": 1,
                "sinks": self._sinks_for(conn, dag_id), "opened_at": at, "updated_at": at})
            if new_id is not None:
                store.add_event(conn, new_id, lc.OPENED, "opened", at, run_id=run_id,
                                try_number=try_number, error=error)
                self._emit(conn, new_id, lc.OPENED, at, "Incident opened.")
                return
            inc = store.by_open_key(conn, fp)        # another process opened it just now
            if inc is None:
                return
        store.update(conn, inc.id, occurrences=inc.occurrences + 1, run_id=run_id,
                     logical_date=logical, try_number=try_number, error=error, map_index=map_index,
                     tries=inc.tries + (1 if task_id else 0), updated_at=at)
        store.add_event(conn, inc.id, lc.UPDATED, "occurrence", at, run_id=run_id,
                        try_number=try_number, error=error)
        self._emit(conn, inc.id, lc.UPDATED, at,
                   f"New occurrence ({inc.occurrences + 1}) in run {run_id}.")

    def _retry(self, conn: sa.Connection, ev: TaskFinished) -> None:
        for inc in store.open_of_dag(conn, ev.dag_id):
            if inc.task_id != ev.task_id or not sc.covers(conn, sc.scope_of(conn, inc.run_id),
                                                          ev.run_id):
                continue
            store.update(conn, inc.id, tries=inc.tries + 1, try_number=ev.try_number,
                         run_id=ev.run_id, map_index=ev.map_index, updated_at=ev.at)
            store.add_event(conn, inc.id, lc.UPDATED, "retry", ev.at, run_id=ev.run_id,
                            try_number=ev.try_number, error=ev.error)
            self._emit(conn, inc.id, lc.UPDATED, ev.at,
                       f"Try {ev.try_number} in run {ev.run_id} failed and will be retried: "
                       f"{ev.error_type or ''} {ev.error or ''}".rstrip())

    def _resolve_task(self, conn: sa.Connection, ev: TaskFinished) -> bool:
        """Resolve the task's open incidents; True if none is left open. A sibling instance of
        a mapped task succeeding in the run that failed does not count as the task's success,
        nor does a success on another input than the incident's (scope.py)."""
        left = False
        for inc in store.open_of_dag(conn, ev.dag_id):
            if inc.task_id != ev.task_id or inc.kind not in store.TASK_KINDS:
                continue
            if (inc.run_id == ev.run_id and inc.map_index != ev.map_index) or not sc.covers(
                    conn, sc.scope_of(conn, inc.run_id), ev.run_id):
                left = True
                continue
            self._close(conn, inc, ev.run_id, ev.at,
                        f"Resolved: {ev.task_id} succeeded in run {ev.run_id} (try {ev.try_number}).")
        return not left

    def _close(self, conn: sa.Connection, inc: store.IncidentRow, run_id: str | None,
               at: datetime, note: str, *, by_hand: bool = False) -> None:
        if store.resolve(conn, inc.id, at):
            store.add_event(conn, inc.id, lc.RESOLVED, "resolved", at, run_id=run_id,
                            **({"error": note} if by_hand else {}))
            self._emit(conn, inc.id, lc.RESOLVED, at, note)

    def _emit(self, conn: sa.Connection, incident_id: int, event: str, at: datetime,
              note: str) -> None:
        """Queue the event's document (a snapshot of the incident now). Consecutive updates of
        one incident in one transaction (a mapped task failing in a thousand instances) are
        merged into one `incident.updated` with the latest snapshot: one comment, not a
        thousand (only the incident's own order matters, so other incidents may interleave).
        The rows are written when the handler ends (`_enqueue`)."""
        inc = store.get(conn, incident_id)
        if inc is None or not inc.sinks:
            return
        doc = lc.document(event, inc, self.base_url, note=note)
        last = next((q for q in reversed(self._queued) if q[0] == incident_id), None)
        if last is not None and last[1] == event == lc.UPDATED:
            last[3] += 1
            doc["meta"]["note"] = f"{last[3]} updates; the latest: {note}"
            last[2] = doc
            return
        self._queued.append([incident_id, event, doc, 1, at])

    def _enqueue(self, conn: sa.Connection) -> None:
        queued, self._queued = self._queued, []
        for incident_id, event, doc, _, at in queued:
            inc = store.get(conn, incident_id)
            if inc is None:
                continue
            sinks = [(sink_from_spec(s).key, s) for s in inc.sinks]
            outbox.enqueue(conn, incident_id, event, doc, sinks, at)
            self.emitted += len(sinks)


def resolve_by_hand(settings: Settings, incident_id: int, who: str,
                    note: str | None = None) -> bool:
    """Resolve an open incident by hand (an operator: `legato incidents resolve`, the API), with
    its `incident.resolved` event queued for every sink; False if it was not open."""
    from datetime import UTC, datetime

    from ..store.db import open_engine

    listener = IncidentListener(settings)
    with open_engine(settings.database_url).begin() as conn:
        inc = store.get(conn, incident_id)
        if inc is None or inc.state != "open":
            return False
        text = f"Resolved by {who}" + (f": {note}" if note else ".")
        listener._close(conn, inc, None, datetime.now(UTC), text, by_hand=True)
        listener._enqueue(conn)
    return True


def attach(bus: Bus, settings: Settings) -> IncidentListener:
    """Subscribe the incidents listener to `bus` (global sinks from `settings`)."""
    return IncidentListener(settings).attach(bus)
