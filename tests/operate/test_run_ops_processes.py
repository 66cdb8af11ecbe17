"""Operator actions against runs driven by other processes (issue 12):

- cancel of a 90-second task under `legato run` and under `legato scheduler` (thread and
  process executors; in a worker process the try itself is stopped): the run ends
  `cancelled` within 15 s and nothing after the task runs;
- two clears at once never run a task twice (SQLite and PostgreSQL);
- a clear recorded while the scheduler driving the run is killed -9 is applied by the one
  that adopts it; nothing is lost (SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from legato.config import load_settings
from legato.services import queries, run_ops
from process_support import CLI, base_env, cli, cli_json, log_tail, start, write_dag
from waiting import eventually

pytestmark = pytest.mark.e2e

SLOW = """
    import os
    import time
    from pathlib import Path
    from legato import DAG, task
    HERE = Path({here!r})

    with DAG("slow_ops", schedule=None) as dag:
        @task
        def first():
            return 1

        @task
        def sleepy(x):
            (HERE / "sleepy-started").write_text(str(os.getpid()))
            try:
                time.sleep(90)
            finally:                              # stopped: the try is not left sleeping
                (HERE / "sleepy-stopped").write_text(str(os.getpid()))

        @task
        def after(x):
            (HERE / "after-ran").write_text("1")

        after(sleepy(first()))
"""


def _state(run_id: str, task_id: str | None = None) -> str:
    shown = queries.show_run(load_settings(), run_id)
    return shown.state if task_id is None else shown[task_id].state


def _running_run(env: dict[str, str]) -> str:
    runs = json.loads(cli(env, "runs", "list", "--json").stdout)
    return runs[0]["run_id"] if runs and runs[0]["state"] == "running" else ""


def test_cancel_a_run_driven_by_legato_run(tmp_path: Path, legato_home: Path) -> None:
    path = write_dag(tmp_path / "dags", "slow_ops", SLOW.format(here=str(tmp_path)))
    env, log = base_env(legato_home, tmp_path / "dags"), tmp_path / "run.log"
    proc = subprocess.Popen([*CLI, "run", str(path)], env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    try:
        eventually(lambda: (tmp_path / "sleepy-started").exists(), alive=proc,
                   what="sleepy started", explain=log_tail(log))
        run_id = eventually(lambda: _running_run(env), what="the run listed")
        started = time.monotonic()
        done = cli(env, "runs", "cancel", run_id, "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["state"] == "cancelled"
        assert proc.wait(timeout=15) == 1                 # legato run: the run did not succeed
        assert time.monotonic() - started < 15
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _state(run_id) == "cancelled" and _state(run_id, "after") == "skipped"
    assert not (tmp_path / "after-ran").exists()


@pytest.mark.parametrize("executor", ["local", "local:process"])
def test_cancel_a_run_driven_by_a_scheduler(tmp_path: Path, legato_home: Path,
                                            executor: str) -> None:
    write_dag(tmp_path / "dags", "slow_ops", SLOW.format(here=str(tmp_path)))
    env, log = base_env(legato_home, tmp_path / "dags"), tmp_path / "scheduler.log"
    run_id = cli_json(env, "dags", "trigger", "slow_ops")["run_id"]
    sched = start(env, "scheduler", "--executor", executor, log=log)
    try:
        eventually(lambda: (tmp_path / "sleepy-started").exists(), alive=sched,
                   what="sleepy started", explain=log_tail(log))
        started = time.monotonic()
        done = cli(env, "runs", "cancel", run_id, "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["state"] == "cancelled"
        assert time.monotonic() - started < 15
        assert sched.poll() is None                        # the scheduler goes on
        if executor == "local:process":      # the try in the worker process is stopped
            eventually(lambda: (tmp_path / "sleepy-stopped").exists(), timeout_s=15,
                       what="the try stopped in its worker", explain=log_tail(log))
    finally:
        sched.send_signal(signal.SIGTERM)
        sched.wait(timeout=30)
    assert _state(run_id, "sleepy") == "failed" and _state(run_id, "after") == "skipped"
    assert not (tmp_path / "after-ran").exists()


COUNTED = """
    from pathlib import Path
    from legato import DAG, task
    LEDGER = Path({ledger!r})

    with DAG("counted", schedule=None, max_active_runs=8) as dag:
        @task
        def a():
            return 1

        @task
        def b(x):
            with LEDGER.open("a") as f:
                f.write("b\\n")
            return x

        b(a())
"""


def test_two_clears_at_once_run_a_task_once(tmp_path: Path, legato_home: Path,
                                            backend: str) -> None:
    ledger = tmp_path / "ledger.txt"
    path = write_dag(tmp_path / "dags", "counted", COUNTED.format(ledger=str(ledger)))
    from legato.authoring.loader import load_file

    run_id = load_file(path).dags[0].run().run_id
    ledger.write_text("")
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def clear() -> None:
        barrier.wait()
        outcomes.append(run_ops.clear(load_settings(), run_id, ["b"]))

    threads = [threading.Thread(target=clear) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 2
    env = base_env(legato_home, tmp_path / "dags")
    done = cli(env, "tasks", "clear", run_id, "a", "--dry-run")
    assert done.returncode == 0
    from legato.services.run_once import drive_queued

    result = drive_queued(load_settings(), run_id)
    assert result is not None and result.state == "success"
    assert ledger.read_text().split() == ["b"]                    # once, not twice
    assert result["b"].tries == 2


def test_a_clear_survives_the_kill_of_the_scheduler_driving_the_run(
        tmp_path: Path, legato_home: Path, backend: str) -> None:
    ledger = tmp_path / "ledger.txt"
    write_dag(tmp_path / "dags", "counted", COUNTED.format(ledger=str(ledger)).replace(
        "        def b(x):\n", "        def b(x):\n            import time; time.sleep(1)\n"))
    env, log = base_env(legato_home, tmp_path / "dags"), tmp_path / "scheduler.log"
    run_id = cli_json(env, "dags", "trigger", "counted")["run_id"]
    first = start(env, "scheduler", log=log)
    try:
        eventually(lambda: _state(run_id, "b") == "running", alive=first, what="b running",
                   explain=log_tail(log))
        first.send_signal(signal.SIGKILL)                  # dies holding the run
        first.wait(timeout=10)
        done = cli(env, "tasks", "clear", run_id, "a", "--downstream", "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["applied"] is False   # recorded for the owner
    finally:
        if first.poll() is None:
            first.kill()
    second = start(env, "scheduler", log=log)
    try:
        eventually(lambda: _state(run_id) == "success", alive=second, timeout_s=60,
                   what="the adopted run finished", explain=log_tail(log))
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    shown = queries.show_run(load_settings(), run_id)
    assert shown["a"].tries == 2                       # the clear was applied after adoption
    assert shown["b"].state == "success"
