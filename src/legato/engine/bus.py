"""The in-process event bus: the engine publishes, outer layers (incidents, lineage,
callbacks, metrics) subscribe. Publishing never fails because a subscriber did.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

log = logging.getLogger("legato.bus")


@dataclass(frozen=True, slots=True)
class TaskFinished:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    state: str                 # success | failed | skipped | up_for_retry | upstream_failed
    error: str | None
    error_type: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class RunFinished:
    dag_id: str
    run_id: str
    state: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SlaMissed:
    dag_id: str
    run_id: str
    deadline: datetime           # data interval end + the DAG's sla
    at: datetime


class Bus:
    def __init__(self) -> None:
        self._subs: dict[type, list[Callable[[Any], None]]] = defaultdict(list)

    def subscribe(self, event_type: type, handler: Callable[[Any], None]) -> None:
        self._subs[event_type].append(handler)

    def publish(self, event: Any) -> None:
        for handler in self._subs.get(type(event), ()):
            try:
                handler(event)
            except Exception:  # noqa: BLE001 - a subscriber's bug must not stop the engine
                log.exception("bus subscriber %r failed on %r", handler, event)
