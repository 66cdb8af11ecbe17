"""`legato scheduler` as a process: a CLI trigger is picked up, SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from waiting import eventually

pytestmark = pytest.mark.e2e


def test_scheduler_process_runs_a_cli_trigger(tmp_path: Path, legato_home: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "ping.py").write_text(
        "from legato import DAG, task\n"
        "with DAG('ping', schedule=None) as dag:\n"
        "    @task\n"
        "    def pong(params):\n"
        "        return params['x'] * 2\n"
        "    pong()\n")
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags)}
    cli = [sys.executable, "-m", "legato.cli.main"]
    proc = subprocess.Popen([*cli, "scheduler"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        queued = subprocess.run([*cli, "dags", "trigger", "ping", "--param", "x=21", "--json"],
                                env=env, capture_output=True, text=True, check=True)
        run_id = json.loads(queued.stdout)["run_id"]

        def state() -> str:
            with sqlite3.connect(legato_home / "legato.db") as conn:
                return conn.execute("select state from dag_runs where run_id=?",
                                    (run_id,)).fetchone()[0]

        eventually(lambda: state() in ("success", "failed"), 30, alive=proc,
                   what="the run to finish")
        assert state() == "success"
        shown = subprocess.run([*cli, "runs", "show", run_id, "--json"], env=env,
                               capture_output=True, text=True, check=True)
        assert json.loads(shown.stdout)["tasks"]["pong"]["state"] == "success"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    bad = subprocess.run([*cli, "dags", "trigger", "nope"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "no DAG 'nope'" in bad.stderr
