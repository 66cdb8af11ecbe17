"""GET /metrics through a real server: a viewer token is needed, the body is format 0.0.4, and
in a process where runs happen (as in `legato up`) the bus-fed metrics are in it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from legato import DAG, task
from server_harness import Live


def test_metrics_need_a_token(start_live: Callable[[], Live]) -> None:
    live = start_live()
    r = httpx.get(live.base + "/metrics", timeout=30)
    assert r.status_code == 401 and "detail" in r.json()
    bad = httpx.get(live.base + "/metrics", headers={"Authorization": "Bearer nope"}, timeout=30)
    assert bad.status_code == 401


def test_metrics_with_a_viewer_token(start_live: Callable[[], Live]) -> None:
    live = start_live()
    with DAG("route_demo") as dag:
        @task
        def hello() -> int:
            return 1

        hello()
    assert dag.run().state == "success"          # same process: the bus-fed metrics move
    r = httpx.get(live.base + "/metrics", timeout=30,
                  headers={"Authorization": f"Bearer {live.tokens['viewer']}"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    for name in ("legato_task_finished", "legato_task_duration_seconds", "legato_runs_finished",
                 "legato_scheduler_loop_duration_seconds", "legato_task_instances", "legato_runs",
                 "legato_incidents_open", "legato_outbox_pending", "legato_dead_letters",
                 "legato_store_up"):
        assert name in families, name
    finished = {tuple(sorted(s.labels.items())): s.value
                for s in families["legato_task_finished"].samples if s.name.endswith("_total")}
    assert finished[(("dag_id", "route_demo"), ("state", "success"))] >= 1
    runs = {s.labels["state"]: s.value for s in families["legato_runs"].samples}
    assert runs["success"] == 1                                     # read from the store
    assert not any("run_id" in s.labels for f in families.values() for s in f.samples)
