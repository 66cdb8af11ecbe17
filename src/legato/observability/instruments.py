"""The metrics the bus listener keeps, declared once (names, help, labels, buckets).

Labels are bounded on purpose: `dag_id` and `state`, never a run id, task id or map index (a
series per run would grow without end; per-task detail lives in traces and the store).
"""

from __future__ import annotations

from dataclasses import dataclass

from .metrics import REGISTRY, Counter, Gauge, Histogram, Registry

LOOP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0,
                7200.0, 21600.0)


@dataclass(frozen=True)
class Instruments:
    loop_duration: Histogram
    active_runs: Gauge
    task_finished: Counter
    task_duration: Histogram
    runs_finished: Counter
    sla_missed: Counter
    sla_at_risk: Counter


def instruments(registry: Registry = REGISTRY) -> Instruments:
    """The bus-fed metrics in `registry` (registered on first use; the same objects after)."""
    r = registry
    return Instruments(
        loop_duration=r.histogram(
            "legato_scheduler_loop_duration_seconds",
            "Duration of one scheduler pass (housekeeping, advancing runs, collecting outcomes).",
            buckets=LOOP_BUCKETS),
        active_runs=r.gauge("legato_active_runs",
                            "Runs this process's scheduler is driving, after its last pass."),
        task_finished=r.counter(
            "legato_task_finished_total",
            "Task tries that ended, by DAG and outcome (up_for_retry: failed, will be retried).",
            ("dag_id", "state")),
        task_duration=r.histogram("legato_task_duration_seconds",
                                  "Wall time of task tries, from start to end, by DAG.",
                                  ("dag_id",), buckets=TASK_BUCKETS),
        runs_finished=r.counter("legato_runs_finished_total", "Runs that ended, by DAG and state.",
                                ("dag_id", "state")),
        sla_missed=r.counter("legato_sla_missed_total", "Runs that missed their SLA, by DAG.",
                             ("dag_id",)),
        sla_at_risk=r.counter("legato_sla_at_risk_total",
                              "Running runs predicted to miss their SLA (warned once per run).",
                              ("dag_id",)),
    )
