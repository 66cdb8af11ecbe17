"""DAG-level callbacks fire for scheduled runs too, with a task-callback-shaped context (issue
10 item 22). Before: only under dag.run(), and with a dict. A callback that raises is recorded
on the run; a cancelled run calls none."""

from __future__ import annotations

import json
import signal
import textwrap
from pathlib import Path

import pytest

from legato import DAG, task
from legato.config import load_settings
from legato.services import queries
from process_support import base_env, cli_json, log_tail, start
from waiting import eventually

CALLBACKS = """
    import json
    from legato import DAG, Fail, task

    def record(ctx):
        with open({out!r}, "a") as f:
            f.write(json.dumps({{"run_id": ctx.run_id, "reason": ctx["reason"],
                                 "exception": ctx["exception"], "ds": ctx["ds"],
                                 "task_id": ctx.task_id, "dag_id": ctx.dag_id,
                                 "pulled": ctx.ti.xcom_pull(task_ids="first")}}) + "\\n")

    def explode(ctx):
        raise RuntimeError("callback broke")

    with DAG("cb", schedule=None, on_failure_callback=record,
             on_success_callback={success}) as dag:
        @task
        def first():
            return 41

        @task
        def second(x, params):
            if params.get("fail"):
                raise Fail("asked to fail")
            return x + 1

        second(first())
"""


def _write(folder: Path, out: Path, success: str = "record") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cb.py").write_text(textwrap.dedent(CALLBACKS.format(out=str(out), success=success)))


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def test_dag_run_calls_the_callbacks_with_a_context(tmp_path: Path) -> None:
    out = tmp_path / "calls.jsonl"
    _write(tmp_path / "dags", out)
    from legato.authoring.loader import load_file

    (dag,) = load_file(tmp_path / "dags" / "cb.py").dags
    ok = dag.run(params={"fail": False})
    bad = dag.run(params={"fail": True})
    calls = {c["run_id"]: c for c in _records(out)}
    assert calls[ok.run_id]["reason"] == "success" and calls[ok.run_id]["exception"] is None
    assert calls[bad.run_id]["reason"] == "task_failure"
    assert calls[bad.run_id]["task_id"] == "second" and "asked to fail" in calls[bad.run_id]["exception"]
    assert calls[bad.run_id]["pulled"] == 41 and calls[bad.run_id]["dag_id"] == "cb"


@pytest.mark.e2e
def test_a_scheduler_calls_them_for_scheduled_and_triggered_runs(tmp_path: Path,
                                                                 legato_home: Path) -> None:
    out, log = tmp_path / "calls.jsonl", tmp_path / "scheduler.log"
    _write(tmp_path / "dags", out, success="explode")
    env = base_env(legato_home, tmp_path / "dags")
    good = cli_json(env, "dags", "trigger", "cb", "--param", "fail=false")["run_id"]
    bad = cli_json(env, "dags", "trigger", "cb", "--param", "fail=true")["run_id"]
    sched = start(env, "scheduler", log=log)
    try:
        eventually(lambda: any(c["run_id"] == bad for c in _records(out)), alive=sched,
                   what="the failure callback", explain=log_tail(log))
        eventually(lambda: queries.show_run(load_settings(), good).callback_error,
                   alive=sched, what="the raising success callback recorded", explain=log_tail(log))
    finally:
        sched.send_signal(signal.SIGTERM)
        sched.wait(timeout=30)
    (call,) = [c for c in _records(out) if c["run_id"] == bad]
    assert call["reason"] == "task_failure" and "asked to fail" in call["exception"]
    shown = queries.show_run(load_settings(), good)
    assert shown.state == "success" and "callback broke" in shown.callback_error
    assert queries.show_run(load_settings(), bad).callback_error is None


def test_a_cancelled_run_calls_no_callback(tmp_path: Path) -> None:
    calls: list[str] = []
    with DAG("cancel_cb", on_failure_callback=lambda ctx: calls.append("failure"),
             on_success_callback=lambda ctx: calls.append("success")) as dag:
        @task
        def stop_me():
            import os
            os.kill(os.getpid(), signal.SIGINT)      # as Ctrl-C would, mid-run
            import time
            time.sleep(5)
        stop_me()
    with pytest.raises(KeyboardInterrupt):
        dag.run()
    (run,) = queries.list_runs(load_settings(), "cancel_cb", 5)
    assert run.state == "cancelled" and calls == []
