"""The event listener: one background thread that polls every event source of the loaded DAGs.

Started beside the scheduler (`legato scheduler`, `legato up`). It follows the DAG folder:
a DAG that gains a trigger gets a source, one that loses it (or disappears) has its source
closed. A failing source (a broker down, a bucket unreachable) is logged and retried with a
growing delay; it never stops the others or the scheduler. Webhooks have no source: the API
writes their events.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from ..authoring.dag import DAG
from ..retrying import Backoff
from .base import Source, deliverer
from .triggers import FileArrival, Queue

log = logging.getLogger("legato.events")
REFRESH_S = 1.0
MAX_BACKOFF_S = 30.0


def make_source(engine: sa.Engine, dag_id: str, trigger: Any) -> Source | None:
    if isinstance(trigger, FileArrival):
        from .files import FileArrivalSource
        return FileArrivalSource(trigger)
    if isinstance(trigger, Queue):
        if trigger.url is None:
            from .embedded import EmbeddedQueueSource
            return EmbeddedQueueSource(engine, dag_id, trigger)
        from .brokers import make_source as broker_source
        return broker_source(dag_id, trigger)  # type: ignore[return-value]
    return None


class _Polled:
    def __init__(self, source: Source) -> None:
        self.source, self.due, self.failures = source, 0.0, 0


class EventListener:
    def __init__(self, engine: sa.Engine, dags: Callable[[], Iterable[DAG]]) -> None:
        self.engine, self._dags = engine, dags
        self.sources: dict[tuple[str, Any], _Polled] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_refresh = 0.0

    def refresh(self) -> None:
        """Open sources for new triggers, close those whose DAG or trigger is gone."""
        wanted = {(d.dag_id, d.schedule): d for d in self._dags()
                  if getattr(d.schedule, "is_event_trigger", False)}
        for key in set(self.sources) - set(wanted):
            self._close(key)
        for key in set(wanted) - set(self.sources):
            source = make_source(self.engine, key[0], key[1])
            if source is not None:
                self.sources[key] = _Polled(source)

    def poll_once(self, now: float | None = None) -> int:
        """Poll every source that is due; the number of events handed over."""
        now = time.monotonic() if now is None else now
        total = 0
        for (dag_id, trigger), polled in list(self.sources.items()):
            if polled.due > now:
                continue
            try:
                total += polled.source.poll(deliverer(self.engine, dag_id))
                polled.failures, polled.due = 0, now + polled.source.interval_s
            except Exception as exc:  # noqa: BLE001 - one source's outage must not stop the rest
                polled.failures += 1
                wait = Backoff(2 * polled.source.interval_s, MAX_BACKOFF_S,
                               jitter=0).delay(polled.failures)
                polled.due = now + wait
                log.warning("event source %s of DAG %s failed (%s: %s); retrying in %.0fs",
                            trigger.describe(), dag_id, type(exc).__name__, exc, wait)
        return total

    def run(self) -> None:
        while not self._stop.is_set():
            if time.monotonic() >= self._next_refresh:
                self._next_refresh = time.monotonic() + REFRESH_S
                try:
                    self.refresh()
                except Exception:  # a broken DAG folder is the loader's to report
                    log.exception("event listener could not refresh its DAGs")
            self.poll_once()
            self._stop.wait(self._sleep_s())
        for key in list(self.sources):
            self._close(key)

    def _sleep_s(self) -> float:
        now = time.monotonic()
        dues = [p.due for p in self.sources.values()] + [self._next_refresh]
        return max(0.02, min(0.5, min(dues) - now))

    def _close(self, key: tuple[str, Any]) -> None:
        polled = self.sources.pop(key)
        try:
            polled.source.close()
        except Exception:
            log.exception("closing event source %s", key[1].describe())

    def start(self) -> EventListener:
        self._thread = threading.Thread(target=self.run, name="legato-event-listener",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
