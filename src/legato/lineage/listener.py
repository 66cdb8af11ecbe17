"""Lineage's subscriber on the engine bus: dataset updates and OpenLineage events.

Inside the transaction that records a batch of finished tries (`subscribe_in_tx`), it writes
one dataset_events row per outlet URI of each try that *succeeded* (never for a failure or a
try that will be retried), so "the dataset was updated" commits exactly when "the task
succeeded" does; dataset-scheduled DAGs read those rows. The driver's events carry each task's
declared outlets, so with OpenLineage off this costs no query (an insert only when a success
declares an outlet); with it on, one indexed query per batch reads the batch's references
(and their schemas), kept for the second half: after the commit (`subscribe`), each finished
try becomes a START and a COMPLETE/FAIL/ABORT OpenLineage event handed to a background emitter
(transport.py), so a slow or absent lineage backend never holds up the engine.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from ..config import Settings
from ..engine.bus import Bus, TaskFinished
from ..store import datasets as store
from .openlineage import TryOutcome, try_events
from .transport import Emitter, emitter_for

log = logging.getLogger("legato.lineage")
MAX_CACHED_TASKS = 100_000


class LineageListener:
    def __init__(self, emitter: Emitter | None, namespace: str = "legato") -> None:
        self.emitter = emitter
        self.namespace = namespace
        self.updates = 0                                           # dataset_events rows written
        self._refs: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
        self._schemas: dict[str, dict[str, Any]] = {}               # uri -> JSON Schema

    def attach(self, bus: Bus) -> LineageListener:
        bus.subscribe_in_tx(TaskFinished, self.on_tasks)
        if self.emitter is not None:
            bus.subscribe(TaskFinished, self.on_task_committed)
        return self

    # -- in the transaction ----------------------------------------------------------------
    def on_tasks(self, conn: sa.Connection, events: list[TaskFinished]) -> None:
        wanted = events if self.emitter is not None else [e for e in events if e.state == "success"]
        if self.emitter is None:
            if not any(e.outlets is None or e.outlets for e in wanted):
                return                     # no success in the batch declares an outlet
            if all(e.outlets is not None for e in wanted):
                self._record(conn, [(e, uri) for e in wanted for uri in e.outlets or ()])
                return
        if not wanted:
            return
        refs = self._load_refs(conn, {(e.dag_id, e.task_id) for e in wanted})
        # An event that names its outlets is taken at its word, as without OpenLineage: a
        # task marked success (outlets=()) produced nothing and updates no dataset.
        self._record(conn, [(e, uri) for e in wanted if e.state == "success"
                            for uri in (e.outlets if e.outlets is not None else
                                        refs.get(e.dag_id, {}).get(e.task_id, ((), ()))[1])])

    def _record(self, conn: sa.Connection, updates: list[tuple[TaskFinished, str]]) -> None:
        rows = [{"uri": uri, "dag_id": e.dag_id, "task_id": e.task_id, "run_id": e.run_id,
                 "map_index": e.map_index, "extra": {"try_number": e.try_number},
                 "created_at": e.at} for e, uri in updates]
        if rows:
            store.record_updates(conn, rows)
            self.updates += len(rows)

    def _load_refs(self, conn: sa.Connection, tasks: set[tuple[str, str]]) -> dict[str, Any]:
        """dag_id -> task_id -> (inlets, outlets) of `tasks`, kept for the after-commit half."""
        by_dag: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
        for dag_id, task_id in tasks:
            by_dag.setdefault(dag_id, {})[task_id] = ([], [])
        for (dag_id, task_id), refs in store.task_refs(conn, tasks).items():
            by_dag[dag_id][task_id] = ([r.uri for r in refs if r.role == "inlet"],
                                       [r.uri for r in refs if r.role == "outlet"])
        if sum(len(t) for t in self._refs.values()) > MAX_CACHED_TASKS:
            self._refs.clear()
            self._schemas.clear()
        for dag_id, found in by_dag.items():
            self._refs.setdefault(dag_id, {}).update(found)
        if self.emitter is not None:                 # the schema facet of inputs and outputs
            uris = {u for tasks in by_dag.values() for io in tasks.values() for u in io[0] + io[1]}
            self._schemas.update(store.schemas(conn, uris))
        return by_dag

    # -- after the commit ------------------------------------------------------------------
    def on_task_committed(self, event: TaskFinished) -> None:
        if self.emitter is None or event.started_at is None:
            return              # no try ran (an operator marked the task): nothing to report
        inlets, outlets = self._refs.get(event.dag_id, {}).get(event.task_id, ([], []))
        outcome = TryOutcome(event.dag_id, event.run_id, event.task_id, event.map_index,
                             event.try_number, event.state, event.started_at, event.at,
                             event.error, event.error_type)
        events = try_events(outcome, inlets, outlets, namespace=self.namespace,
                            schemas=self._schemas)
        if events:
            self.emitter.emit(events)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait for queued OpenLineage events to be sent (tests, a CLI about to exit)."""
        return True if self.emitter is None else self.emitter.flush(timeout_s)


def attach(bus: Bus, settings: Settings) -> LineageListener:
    """Subscribe to `bus`. Called once per bus by services.listeners.attach_all."""
    emitter = emitter_for(settings.openlineage, settings.openlineage_api_key)
    return LineageListener(emitter, settings.openlineage_namespace).attach(bus)
