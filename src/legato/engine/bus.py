"""The in-process event bus: the engine publishes, outer layers (incidents, lineage,
callbacks, metrics) subscribe. Publishing never fails because a subscriber did.

Two kinds of subscription:

- `subscribe(type, handler(event))`: called after the state change behind the event is
  committed (commit, then act).
- `subscribe_in_tx(type, handler(conn, events))`: called inside the transaction that commits
  the state change, with every event of that type the transaction carries, so a subscriber's
  own rows (the incidents outbox) commit or roll back together with it. Handlers must be
  quick and must only write through `conn`; one query per transaction, not per event.
  The engine never imports its subscribers: they attach themselves to the bus.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..store import dialect
from .states import RunState, TaskState

log = logging.getLogger("legato.bus")


@dataclass(frozen=True, slots=True)
class TaskFinished:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    state: TaskState           # success | failed | skipped | up_for_retry | upstream_failed
    error: str | None
    error_type: str | None
    at: datetime
    started_at: datetime | None = None   # the try's start (metrics: duration; traces: span start)
    # The task's declared dataset URIs, from the spec the driver already holds, so lineage
    # needs no query to know what a success updated (None: the publisher did not say).
    inlets: tuple[str, ...] | None = None
    outlets: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class RunFinished:
    dag_id: str
    run_id: str
    state: RunState
    at: datetime


@dataclass(frozen=True, slots=True)
class SlaMissed:
    dag_id: str
    run_id: str
    deadline: datetime           # data interval end + the DAG's sla
    at: datetime


@dataclass(frozen=True, slots=True)
class SlaAtRisk:
    """A running run is predicted (from its DAG's run history) to end after its SLA deadline;
    published once per run, before the deadline (observability.sla_forecast)."""
    dag_id: str
    run_id: str
    deadline: datetime
    predicted_end: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class SchedulerTicked:
    """One scheduler pass is done (metrics: loop duration, how much is in flight)."""
    duration_s: float
    active_runs: int
    at: datetime


class Bus:
    def __init__(self) -> None:
        self._subs: dict[type, list[Callable[[Any], None]]] = defaultdict(list)
        self._tx_subs: dict[type, list[Callable[[Any, list[Any]], None]]] = defaultdict(list)

    def subscribe(self, event_type: type, handler: Callable[[Any], None]) -> None:
        self._subs[event_type].append(handler)

    def wants(self, event_type: type) -> bool:
        """Whether anyone listens for `event_type` (so a hot loop can skip building events)."""
        return event_type in self._subs

    def publish(self, event: Any) -> None:
        for handler in self._subs.get(type(event), ()):
            try:
                handler(event)
            except Exception:  # a subscriber's bug must not stop the engine
                log.exception("bus subscriber %r failed on %r", handler, event)

    def subscribe_in_tx(self, event_type: type, handler: Callable[[Any, list[Any]], None]) -> None:
        self._tx_subs[event_type].append(handler)

    @property
    def has_in_tx(self) -> bool:
        return bool(self._tx_subs)

    def publish_in_tx(self, conn: Any, events: list[Any]) -> None:
        """Hand `events` to the in-transaction subscribers, grouped by type, in order."""
        if not self._tx_subs or not events:
            return
        by_type: dict[type, list[Any]] = {}
        for event in events:
            by_type.setdefault(type(event), []).append(event)
        for event_type, batch in by_type.items():
            for handler in self._tx_subs.get(event_type, ()):
                self._call_in_tx(handler, conn, batch)

    @staticmethod
    def _call_in_tx(handler: Callable[[Any, list[Any]], None], conn: Any, batch: list[Any]) -> None:
        """A failing subscriber must not lose the engine's state change: the handler runs in
        a savepoint where a failed statement would abort the transaction (PostgreSQL; SQLite
        needs none, and one per commit would cost the hot path)."""
        try:
            with dialect.savepoint(conn):
                handler(conn, batch)
        except Exception as exc:  # never lose the engine's state change...
            if getattr(conn, "invalidated", False) or getattr(exc, "connection_invalidated",
                                                              False):
                raise       # ...unless the connection itself is gone: then so is the change,
                            # and the caller's fault handling retries the whole commit
            log.exception("in-transaction subscriber %r failed", handler)
