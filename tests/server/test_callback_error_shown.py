"""A DAG-level callback that raised is shown where the run is shown (issue 14), not only in a
log: `legato run`'s summary, `legato runs show`, the API and the UI's run page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytest.importorskip("fastapi")

from server_harness import Live

SOURCE = """
from legato import DAG, task

def explode(context):
    raise RuntimeError("helpdesk unreachable")

with DAG("cb_shown", on_success_callback=explode) as dag:
    @task
    def works():
        return 1
    works()
"""


def legato(*args: str) -> subprocess.CompletedProcess[str]:
    cli = Path(sys.executable).with_name("legato")
    cmd = [str(cli)] if cli.exists() else [sys.executable, "-m", "legato.cli.main"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})


def test_a_raising_dag_callback_is_shown_with_the_run(live: Live) -> None:
    path = live.dags / "cb_shown.py"
    path.write_text(SOURCE)
    done = legato("run", str(path))
    assert done.returncode == 0, done.stderr               # the run itself succeeded
    lines = done.stdout.strip().splitlines()
    assert lines[-2:] == ["run success",
                          "DAG callback raised: RuntimeError: helpdesk unreachable"]
    run_id = lines[0].split()[-1]

    shown = legato("runs", "show", run_id)
    assert shown.returncode == 0, shown.stderr
    assert "DAG callback raised: RuntimeError: helpdesk unreachable" in shown.stdout
    doc = json.loads(legato("runs", "show", run_id, "--json").stdout)
    assert doc["state"] == "success" and "helpdesk unreachable" in doc["callback_error"]

    with httpx.Client(base_url=live.base, timeout=30) as client:
        assert client.post("/ui/login", data={"token": live.tokens["viewer"]}).status_code == 303
        page = client.get(f"/ui/runs/{run_id}")
    assert page.status_code == 200
    assert "<dt>Callback error</dt>" in page.text and "helpdesk unreachable" in page.text
