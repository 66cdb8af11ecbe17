"""The scheduler with what runs beside it, assembled once for `legato scheduler`, `legato up`
and `legato backfill`: the store (waited for if it is not reachable yet), the bus with every
listener (incidents, lineage, metrics), the incident dispatcher, the event listener, and the
scheduler's loop; all stopped together, the scheduler first so it can drain its tries.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..config import Settings
from ..engine.bus import Bus
from ..engine.dag_callbacks import CallbackRunner
from ..engine.executors.base import Executor
from ..engine.scheduler import Scheduler
from ..store.db import open_engine
from ..store.faults import StoreFaults


def wait_for_store(settings: Settings, stop: threading.Event) -> bool:
    """Open (and migrate) the store, waiting with backoff while it cannot be reached (a
    database still starting, a full disk); False if `stop` was set first."""
    faults = StoreFaults(what="scheduler")
    while not stop.is_set():
        if faults.guard(lambda: open_engine(settings.database_url), stop):
            return True
    return False


@dataclass
class Service:
    scheduler: Scheduler
    bus: Bus


@contextmanager
def scheduling(settings: Settings, executor: Executor, *, events: bool = True,
               only_runs: set[str] | None = None) -> Iterator[Service]:
    """A scheduler on `executor` with its listeners and dispatcher (and, with `events`, the
    event listener) running until the block ends; the executor is shut down last."""
    from .incidents import start_incidents

    bus = Bus()
    dispatcher = listener = None
    try:
        dispatcher = start_incidents(settings, bus)
        if events:
            from .events import start_listener

            listener = start_listener(settings)
        scheduler = Scheduler(settings, executor, bus=bus, only_runs=only_runs)
        callbacks = CallbackRunner(_callback_file(scheduler), str(settings.home),
                                   settings.database_url, settings.dag_import_timeout_s + 30)
        callbacks.attach(bus)
        yield Service(scheduler, bus)
        callbacks.join(settings.stop_grace_s)
    finally:
        if listener is not None:
            listener.stop()
        executor.shutdown()
        if dispatcher is not None:
            dispatcher.stop()


def _callback_file(scheduler: Scheduler) -> Any:
    """(dag_id, "on_success"|"on_failure") -> the DAG's file if it defines that callback."""
    def lookup(dag_id: str, name: str) -> str | None:
        dag = scheduler.dags.get(dag_id)
        return dag.fileloc if dag is not None and dag.has_callback(name) else None

    return lookup


def serve(settings: Settings, executor: Executor, stop: threading.Event,
          on_ready: Any = None) -> None:
    """Run the scheduler service until `stop` is set (SIGTERM: see Scheduler.serve)."""
    if not wait_for_store(settings, stop):
        executor.shutdown()
        return
    with scheduling(settings, executor) as service:
        if on_ready is not None:
            on_ready(service)
        service.scheduler.serve(stop)
