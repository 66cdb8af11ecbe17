"""`legato up` as a real process: the scheduler and the API share it, so /metrics shows the
bus-fed metrics (scheduler loop, tries, runs) next to the store gauges, and with
LEGATO_OTEL=console the run's spans are printed when it stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from process_support import free_port
from waiting import answers, eventually

pytestmark = pytest.mark.e2e


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def test_up_exposes_scheduler_metrics_and_traces(tmp_path: Path, legato_home: Path) -> None:
    pytest.importorskip("opentelemetry.sdk")
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "echo.py").write_text(
        "from legato import DAG, task\n"
        "with DAG('echo_metrics') as dag:\n"
        "    @task\n"
        "    def say():\n"
        "        return 'hi'\n"
        "    say()\n")
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags),
           "LEGATO_OTEL": "console", "LEGATO_LOG_FORMAT": "json"}
    cli = [sys.executable, "-m", "legato.cli.main"]
    token = subprocess.run([*cli, "tokens", "create", "--role", "operator", "--name", "t"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    proc = subprocess.Popen([*cli, "up", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    root, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
    try:
        eventually(lambda: answers(f"{root}/api/v1/health", timeout_s=1), 30, alive=proc,
                   what="legato up to answer")
        created = httpx.post(f"{root}/api/v1/dags/echo_metrics/runs", headers=auth, timeout=10)
        assert created.status_code == 201, created.text
        run_id = created.json()["run_id"]
        eventually(lambda: httpx.get(f"{root}/api/v1/runs/{run_id}", headers=auth,
                                     timeout=5).json()["state"] == "success", 30, what="the run")
        got = samples(httpx.get(f"{root}/metrics", headers=auth, timeout=10).text)
        assert httpx.get(f"{root}/metrics", timeout=10).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert got[("legato_scheduler_loop_duration_seconds_count", ())] > 0
    assert got[("legato_task_finished_total", (("dag_id", "echo_metrics"), ("state", "success")))] == 1
    assert got[("legato_runs_finished_total", (("dag_id", "echo_metrics"), ("state", "success")))] == 1
    assert got[("legato_runs", (("state", "success"),))] == 1
    assert ("legato_active_runs", ()) in got
    assert f'"legato.run_id": "{run_id}"' in out and '"name": "say"' in out   # spans flushed at exit
