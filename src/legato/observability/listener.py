"""Observability's subscriber on the engine bus: metrics, traces and the SLA forecast.

Everything here listens after commit (`Bus.subscribe`): what it counts has happened. Metrics go
to the process registry (metrics.REGISTRY) that GET /metrics renders, so in `legato up` the API
shows what the scheduler beside it counted; LEGATO_METRICS=0 leaves them out. Traces only with
LEGATO_OTEL; the forecast only where a scheduler ticks, every LEGATO_SLA_FORECAST_S seconds.

Cost on the hot path: a task try that ends costs the metrics one dict lookup and one locked
add per metric (see benchmarks/observability.py for the measured figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import Settings
from ..engine.bus import Bus, RunFinished, SchedulerTicked, SlaAtRisk, SlaMissed, TaskFinished
from .instruments import Instruments, instruments
from .sla_watch import SlaWatch, sla_lookup
from .tracing import TraceListener, tracer_for


class MetricsListener:
    def __init__(self, m: Instruments) -> None:
        self.m = m
        self._finished = m.task_finished.labels
        self._duration = m.task_duration.labels

    def attach(self, bus: Bus) -> MetricsListener:
        bus.subscribe(TaskFinished, self.on_task)
        bus.subscribe(RunFinished, self.on_run)
        bus.subscribe(SchedulerTicked, self.on_tick)
        bus.subscribe(SlaMissed, self.on_sla_missed)
        bus.subscribe(SlaAtRisk, self.on_sla_at_risk)
        return self

    def on_task(self, ev: TaskFinished) -> None:
        self._finished(ev.dag_id, ev.state).inc()
        if ev.started_at is not None:
            seconds = (ev.at - ev.started_at).total_seconds()
            self._duration(ev.dag_id).observe(seconds if seconds > 0 else 0.0)

    def on_run(self, ev: RunFinished) -> None:
        self.m.runs_finished.labels(ev.dag_id, ev.state).inc()

    def on_tick(self, ev: SchedulerTicked) -> None:
        self.m.loop_duration.observe(ev.duration_s)
        self.m.active_runs.set(ev.active_runs)

    def on_sla_missed(self, ev: SlaMissed) -> None:
        self.m.sla_missed.labels(ev.dag_id).inc()

    def on_sla_at_risk(self, ev: SlaAtRisk) -> None:
        self.m.sla_at_risk.labels(ev.dag_id).inc()


@dataclass
class Observability:
    metrics: MetricsListener | None
    traces: TraceListener | None
    sla_watch: SlaWatch | None


def attach(bus: Bus, settings: Settings) -> Any:
    """Subscribe to `bus`. Called once per bus by services.listeners.attach_all."""
    metrics = MetricsListener(instruments()).attach(bus) if settings.metrics else None
    tracer = tracer_for(settings)
    traces = TraceListener(tracer, settings.database_url).attach(bus) if tracer else None
    watch = (SlaWatch(bus, settings.database_url, settings.sla_forecast_s,
                      sla_lookup(settings.dags_folder, settings.database_url)).attach()
             if settings.sla_forecast_s > 0 else None)
    return Observability(metrics, traces, watch)
