"""Metrics after real runs: the bus-fed counters move by exactly what the run did, and the
store gauges (read at scrape time) agree with the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from legato import DAG, task
from legato.config import load_settings
from legato.engine.bus import Bus, RunFinished, SchedulerTicked, SlaMissed, TaskFinished
from legato.engine.runs_create import create_run
from legato.observability import store_gauges
from legato.observability.instruments import instruments
from legato.observability.listener import MetricsListener, attach
from legato.observability.metrics import REGISTRY, Registry
from legato.store.db import open_engine


def value(family_name: str, **labels: str) -> float:
    """The current value of one sample in the process registry (0 when absent)."""
    for family in REGISTRY.collect():
        for s in family.samples:
            if s.name == family_name and dict(s.labels) == labels:
                return s.value
    return 0.0


def flaky_dag(dag_id: str) -> DAG:
    calls = {"n": 0}
    with DAG(dag_id) as dag:
        @task
        def first() -> int:
            return 1

        @task(retries=1, retry_delay=0)
        def flaky(x: int) -> int:
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("first try fails")
            return x

        @task
        def last(x: int) -> int:
            return x

        last(flaky(first()))
    return dag


def test_a_run_moves_the_counters_by_what_it_did(backend: str) -> None:
    dag = flaky_dag(f"metrics_flaky_{backend}")
    d = dag.dag_id
    before = {s: value("legato_task_finished_total", dag_id=d, state=s)
              for s in ("success", "up_for_retry", "failed")}
    durations = value("legato_task_duration_seconds_count", dag_id=d)
    result = dag.run()
    assert result.state == "success"
    assert value("legato_task_finished_total", dag_id=d, state="success") - before["success"] == 3
    assert value("legato_task_finished_total", dag_id=d, state="up_for_retry") - \
        before["up_for_retry"] == 1
    assert value("legato_task_finished_total", dag_id=d, state="failed") == before["failed"]
    assert value("legato_task_duration_seconds_count", dag_id=d) - durations == 4
    assert value("legato_runs_finished_total", dag_id=d, state="success") >= 1
    assert value("legato_task_duration_seconds_bucket", dag_id=d, le="+Inf") == \
        value("legato_task_duration_seconds_count", dag_id=d)


def test_metrics_off_leaves_the_registry_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_METRICS", "0")
    dag = flaky_dag("metrics_off")
    dag.run()
    assert value("legato_task_finished_total", dag_id="metrics_off", state="success") == 0
    assert attach(Bus(), load_settings()).metrics is None


def test_listener_maps_each_event_to_its_metric() -> None:
    registry = Registry()
    bus = Bus()
    MetricsListener(instruments(registry)).attach(bus)
    now = datetime.now(UTC)
    bus.publish(TaskFinished("d", "r", "t", -1, 1, "failed", "boom", "E", now,
                             now - timedelta(seconds=2)))
    bus.publish(TaskFinished("d", "r", "t", -1, 2, "success", None, None, now, None))
    bus.publish(RunFinished("d", "r", "success", now))
    bus.publish(SlaMissed("d", "r", now, now))
    bus.publish(SchedulerTicked(0.003, 4, now))
    got = {(s.name, s.labels): s.value for f in registry.collect() for s in f.samples}
    assert got[("legato_task_finished_total", (("dag_id", "d"), ("state", "failed")))] == 1
    assert got[("legato_task_finished_total", (("dag_id", "d"), ("state", "success")))] == 1
    assert got[("legato_task_duration_seconds_count", (("dag_id", "d"),))] == 1   # one had a start
    assert got[("legato_task_duration_seconds_sum", (("dag_id", "d"),))] == pytest.approx(2.0)
    assert got[("legato_runs_finished_total", (("dag_id", "d"), ("state", "success")))] == 1
    assert got[("legato_sla_missed_total", (("dag_id", "d"),))] == 1
    assert got[("legato_active_runs", ())] == 4
    assert got[("legato_scheduler_loop_duration_seconds_bucket", (("le", "0.005"),))] == 1
    assert got[("legato_scheduler_loop_duration_seconds_bucket", (("le", "0.0025"),))] == 0


def test_store_gauges_count_the_store(backend: str) -> None:
    dag = flaky_dag(f"gauges_{backend}")
    dag.run()
    with DAG(f"gauges_fail_{backend}") as failing:
        @task
        def boom() -> None:
            raise ValueError("no")

        boom()
    failing.run()
    engine = open_engine(load_settings().database_url)
    create_run(engine, dag, datetime.now(UTC))                  # queued: 3 scheduled instances
    families = {f.name: f for f in store_gauges.collect(load_settings().database_url)}
    by = {name: {dict(s.labels).get("state") or dict(s.labels).get("status"): s.value
                 for s in f.samples} for name, f in families.items()}
    assert by["legato_store_up"] == {None: 1.0}
    assert by["legato_runs"] == {"queued": 1, "running": 0, "success": 1, "failed": 1}
    instances = by["legato_task_instances"]         # of unfinished runs only: the queued one
    assert instances["scheduled"] == 3 and sum(instances.values()) == 3
    assert instances["queued"] == instances["up_for_retry"] == 0
    assert by["legato_incidents_open"] == {None: 1.0}
    assert by["legato_dead_letters"]["pending"] == 0
    with engine.connect() as conn:
        assert store_gauges.read(conn)[1].samples        # read() alone works on a connection


def test_an_unreadable_store_is_reported_not_raised() -> None:
    families = store_gauges.collect("postgresql://nobody@127.0.0.1:1/none")
    assert [(f.name, [s.value for s in f.samples]) for f in families] == [("legato_store_up", [0.0])]
