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


TASK_SOURCE = """
from legato import DAG, task

def explode(context):
    raise RuntimeError("helpdesk unreachable")

def refuse(context):
    raise ValueError("ticket refused")

with DAG("task_cb_shown") as dag:
    @task(on_success_callback=explode)
    def works():
        return 1

    @task(retries=0, on_failure_callback=refuse)
    def breaks():
        raise RuntimeError("fails on purpose")

    works()
    breaks()
"""
RAISED = "on_success_callback raised RuntimeError: helpdesk unreachable"
REFUSED = "on_failure_callback raised ValueError: ticket refused"


@pytest.mark.parametrize("executor", ["local", "local:process"])
def test_a_raising_task_callback_is_shown_with_the_run_and_the_task(live: Live,
                                                                     executor: str) -> None:
    """A task's callback that raised (issue 14): its try keeps the error and every place that
    shows the run or the task shows it; the task's state is what the task made it."""
    path = live.dags / "task_cb_shown.py"
    path.write_text(TASK_SOURCE)
    done = legato("run", str(path), "--executor", executor)
    assert done.returncode == 1, done.stderr                # `breaks` failed, by itself
    lines = done.stdout.strip().splitlines()
    assert f"task works: {RAISED}" in lines and f"task breaks: {REFUSED}" in lines
    run_id = lines[0].split()[-1]

    shown = legato("runs", "show", run_id)
    assert shown.returncode == 0, shown.stderr
    assert f"task works: {RAISED}" in shown.stdout
    doc = json.loads(legato("runs", "show", run_id, "--json").stdout)
    assert doc["tasks"]["works"]["state"] == "success"      # the callback changed nothing
    assert doc["tasks"]["works"]["callback_error"] == RAISED
    assert (doc["tasks"]["breaks"]["state"], doc["tasks"]["breaks"]["callback_error"]) == (
        "failed", REFUSED)

    with live.client("viewer") as api:
        got = api.get(f"/runs/{run_id}")
    assert got.status_code == 200
    works = got.json()["tasks"]["works"]
    assert (works["state"], works["callback_error"]) == ("success", RAISED)

    with httpx.Client(base_url=live.base, timeout=30) as client:
        assert client.post("/ui/login", data={"token": live.tokens["viewer"]}).status_code == 303
        task_page = client.get(f"/ui/runs/{run_id}/tasks/works")
        run_page = client.get(f"/ui/runs/{run_id}")
    assert task_page.status_code == 200 and run_page.status_code == 200
    for page in (task_page, run_page):
        assert f'<span class="callback-error">Callback: {RAISED}</span>' in page.text
