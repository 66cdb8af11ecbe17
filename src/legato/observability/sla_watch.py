"""The SLA forecast's I/O: on a scheduler tick, at most every `every_s` seconds, look at the
running scheduled runs of DAGs with an SLA, forecast their end from the DAG's last successful
runs (sla_forecast.py), and publish `SlaAtRisk` once per run when the forecast is past the
deadline (data interval end + sla, as for SLA misses), with a warning in the log.

It rides on `SchedulerTicked`, so it runs only where a scheduler runs, on the scheduler's
thread (a few small queries every `every_s`). The DAG's `sla` comes from its spec as the
scheduler recorded it from its folder; DAGs from elsewhere are skipped, nothing is imported
here. "Once per run" is per process: a restarted scheduler may warn again about a run it
warned about before the restart.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from ..engine.bus import Bus, SchedulerTicked, SlaAtRisk
from ..store import dags as dag_store
from ..store.db import open_engine
from ..store.schema import dag_runs, dags
from . import sla_forecast

log = logging.getLogger("legato.sla")


def sla_lookup(dags_folder: Path, database_url: str) -> Callable[[str, str], timedelta | None]:
    """A DAG's `sla`, from its spec as the scheduler last recorded it (nothing is imported
    here), for DAGs of this scheduler's folder only; an unknown DAG has no forecast."""
    folder = Path(dags_folder).resolve()

    def sla_of(dag_id: str, fileloc: str) -> timedelta | None:
        if not Path(fileloc).resolve().is_relative_to(folder):
            return None
        with open_engine(database_url).connect() as conn:
            stored = dag_store.stored_spec(conn, dag_id)
        sla_s = json.loads(stored[1]).get("sla_s") if stored else None
        return None if sla_s is None else timedelta(seconds=sla_s)

    return sla_of


def running_scheduled(conn: sa.Connection) -> list[sa.Row]:
    q = (sa.select(dag_runs.c.run_id, dag_runs.c.dag_id, dag_runs.c.start_date,
                   dag_runs.c.data_interval_end, dags.c.fileloc)
         .join(dags, dags.c.dag_id == dag_runs.c.dag_id)
         .where(dag_runs.c.state == "running", dag_runs.c.run_type == "scheduled",
                dag_runs.c.start_date.is_not(None)))
    return list(conn.execute(q))


def history_s(conn: sa.Connection, dag_id: str, limit: int = sla_forecast.HISTORY_RUNS) -> list[float]:
    """Durations (s) of the DAG's last `limit` successful runs, any run type."""
    q = (sa.select(dag_runs.c.start_date, dag_runs.c.end_date)
         .where(dag_runs.c.dag_id == dag_id, dag_runs.c.state == "success",
                dag_runs.c.start_date.is_not(None), dag_runs.c.end_date.is_not(None))
         .order_by(dag_runs.c.end_date.desc()).limit(limit))
    return [(end - start).total_seconds() for start, end in conn.execute(q)]


class SlaWatch:
    def __init__(self, bus: Bus, database_url: str, every_s: float,
                 sla_of: Callable[[str, str], timedelta | None]) -> None:
        self.bus, self.database_url, self.every_s = bus, database_url, every_s
        self.sla_of = sla_of
        self.warned: set[str] = set()
        self._next = 0.0

    def attach(self) -> SlaWatch:
        self.bus.subscribe(SchedulerTicked, self.on_tick)
        return self

    def on_tick(self, event: SchedulerTicked) -> None:
        mono = time.monotonic()
        if mono < self._next:
            return
        self._next = mono + self.every_s
        for warning in self.check(event.at):
            self.bus.publish(warning)

    def check(self, now: datetime) -> list[SlaAtRisk]:
        """The new warnings at `now` (each run at most once), logged."""
        found: list[SlaAtRisk] = []
        with open_engine(self.database_url).connect() as conn:
            runs = [r for r in running_scheduled(conn) if r.run_id not in self.warned]
            slas = {r.dag_id: self.sla_of(r.dag_id, r.fileloc) for r in runs}
            histories = {d: history_s(conn, d) for d, sla in slas.items() if sla is not None}
        for run in runs:
            sla = slas[run.dag_id]
            if sla is None:
                continue
            deadline = run.data_interval_end + sla
            forecast = sla_forecast.at_risk(histories[run.dag_id], run.start_date, deadline, now)
            if forecast is None:
                continue
            self.warned.add(run.run_id)
            found.append(SlaAtRisk(run.dag_id, run.run_id, deadline, forecast.predicted_end, now))
            log.warning("SLA at risk: run %s of %s is predicted to end at %s, after its deadline "
                        "%s (from %d past runs)", run.run_id, run.dag_id,
                        forecast.predicted_end.isoformat(), deadline.isoformat(), forecast.basis,
                        extra={"dag_id": run.dag_id, "run_id": run.run_id})
        return found
