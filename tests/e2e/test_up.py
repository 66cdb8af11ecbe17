"""`legato up`: one process serves the API and runs the scheduler; a run triggered over HTTP
completes, and SIGTERM stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from e2e_support import free_port

pytestmark = pytest.mark.e2e


def test_up_serves_api_and_schedules(tmp_path: Path, legato_home: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "echo.py").write_text(
        "from legato import DAG, task\n"
        "with DAG('echo') as dag:\n"
        "    @task\n"
        "    def say(params):\n"
        "        return params.get('word', 'hi')\n"
        "    say()\n")
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags)}
    cli = [sys.executable, "-m", "legato.cli.main"]
    token = subprocess.run([*cli, "tokens", "create", "--role", "operator", "--name", "t"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    proc = subprocess.Popen([*cli, "up", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base, auth = f"http://127.0.0.1:{port}/api/v1", {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "legato up never answered"
            time.sleep(0.1)
        created = httpx.post(f"{base}/dags/echo/runs", headers=auth,
                             json={"params": {"word": "up"}}, timeout=10)
        assert created.status_code == 201, created.text
        run_id, state = created.json()["run_id"], "queued"
        while state not in ("success", "failed") and time.monotonic() < deadline:
            time.sleep(0.1)
            state = httpx.get(f"{base}/runs/{run_id}", headers=auth, timeout=5).json()["state"]
        assert state == "success"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
