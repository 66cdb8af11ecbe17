"""Driving the gallery's runs the way an operator would, on the demo's own store:

- `backfill(dag_id, start, end)`: `legato backfill` (the runs are queued by the same use case,
  then driven by a scheduler that drives only them);
- `trigger(dag_id, ...)`: `legato dags trigger`, then driven the same way;
- `listening(dag_ids)`: the scheduler with its event listener, for DAGs started by files,
  webhooks, queue messages or dataset updates; those DAGs are unpaused for the session (every
  other DAG stays paused, as new DAGs start, so no scheduled run slips in) and paused again;
- after each, the incident events queued by the runs are delivered to the sinks (the outbox
  dispatcher, drained), so the helpdesk holds the tickets before anyone looks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..config import Settings
from ..store import runs as run_store
from ..store.db import open_engine

DRIVE_TIMEOUT_S = 90.0
FINISHED = ("success", "failed", "cancelled")


@dataclass
class Driver:
    settings: Settings
    driven: list[str] = field(default_factory=list)       # every run id driven, in order

    def backfill(self, dag_id: str, start: datetime | str, end: datetime | str, *,
                 rerun: bool = False) -> list[Any]:
        from ..services import operate

        runs = operate.backfill(self.settings, dag_id, start, end, rerun=rerun)
        return self.drive([r.run_id for r in runs])

    def trigger(self, dag_id: str, logical_date: str | None = None,
                params: dict[str, Any] | None = None) -> Any:
        from ..services import operate

        run = operate.trigger(self.settings, dag_id, logical_date, params)
        return self.drive([run.run_id])[0]

    def drive(self, run_ids: list[str]) -> list[Any]:
        """Run these queued runs to their end; the runs as the store has them then."""
        from ..engine.executors import make_executor
        from ..services.scheduling import scheduling

        self.driven.extend(run_ids)
        if run_ids:
            with scheduling(self.settings, make_executor("local"), events=False,
                            only_runs=set(run_ids)) as service:
                service.scheduler.poll_s = 0.05
                service.scheduler.run_until_idle(timeout_s=DRIVE_TIMEOUT_S)
            self.deliver_incidents()
        return self.runs(run_ids)

    def runs(self, run_ids: list[str]) -> list[Any]:
        with open_engine(self.settings.database_url).connect() as conn:
            return [run_store.get_run(conn, r) for r in run_ids]

    def runs_of(self, dag_id: str) -> list[Any]:
        """Every run of `dag_id`, oldest logical date first."""
        with open_engine(self.settings.database_url).connect() as conn:
            found = run_store.list_runs(conn, dag_id=dag_id, limit=1000)
        return sorted(found, key=lambda r: r.logical_date)

    def deliver_incidents(self) -> None:
        from ..incidents.dispatcher import Dispatcher

        dispatcher = Dispatcher(self.settings, base_s=0.2, max_s=2.0)
        try:
            dispatcher.drain(self.settings.incidents_deliver_s)
        finally:
            dispatcher.stop()

    @contextmanager
    def listening(self, dag_ids: list[str]) -> Iterator[Callable[[Callable[[], bool], float], bool]]:
        """A scheduler with its event listener, these DAGs unpaused; yields `until(done,
        timeout_s)`, which ticks the scheduler until `done()` holds (True) or time is up."""
        from ..engine.executors import make_executor
        from ..services import operate
        from ..services.scheduling import scheduling

        for dag_id in dag_ids:
            operate.set_paused(self.settings, dag_id, False)
        try:
            with scheduling(self.settings, make_executor("local"), events=True) as service:
                scheduler = service.scheduler
                scheduler.poll_s = 0.05
                scheduler.start()
                try:
                    yield lambda done, timeout_s: _tick_until(scheduler, done, timeout_s)
                finally:
                    scheduler.drain(5.0)
                    scheduler.release()
            self.deliver_incidents()
        finally:
            for dag_id in dag_ids:
                operate.set_paused(self.settings, dag_id, True)

    def finished(self, dag_id: str, count: int) -> Callable[[], bool]:
        """A condition: `count` runs of `dag_id` have ended."""
        return lambda: sum(r.state in FINISHED for r in self.runs_of(dag_id)) >= count


def _tick_until(scheduler: Any, done: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    next_check = 0.0
    while time.monotonic() < deadline:
        scheduler.tick()
        if time.monotonic() >= next_check:
            if done() and not scheduler.drivers:
                return True
            next_check = time.monotonic() + 0.1
    return False
