"""The local process pool (issue 10 items 8 and 16): a worker's death costs only its own try,
a frozen worker is found by its heartbeat and killed, `cancel` stops a try within seconds.

These start real worker processes (about 0.3 s each); every wait is a poll with a deadline.
"""

from __future__ import annotations

import os
import signal
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from legato.authoring.loader import load_file
from legato.engine.executors.base import TryFinished, TryRequest, TryStarted
from legato.engine.executors.local import LocalExecutor
from waiting import eventually

pytestmark = pytest.mark.e2e


def _alive(pid: int) -> bool:
    """Running, or dying: a killed process shows as a zombie as soon as its main thread has
    exited, but its parent cannot reap it until its other threads (the worker's heartbeat)
    have exited too, so it counts as dead only then."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            zombie = f.read().rsplit(")", 1)[1].split()[0] == "Z"
        return not zombie or len(os.listdir(f"/proc/{pid}/task")) > 1
    except FileNotFoundError:
        return False


def _pid_in(path: Path, timeout: float = 20.0) -> int:
    return int(eventually(lambda: path.exists() and path.read_text().strip(), timeout,
                          what=path.name))


def _kill_leftovers(folder: Path) -> None:
    for path in folder.glob("*.pid"):
        try:
            os.kill(int(path.read_text()), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


@pytest.fixture()
def pids(tmp_path: Path) -> Iterator[Path]:
    """A folder where tasks write their worker's pid; anything left alive is killed after."""
    folder = tmp_path / "pids"
    folder.mkdir()
    yield folder
    _kill_leftovers(folder)


def test_a_dead_worker_costs_only_its_own_try(tmp_path: Path, pids: Path) -> None:
    """Three tries in flight; one worker dies. Before, the whole ProcessPoolExecutor broke and
    the healthy siblings' tries were lost (with retries=0, failed); now they succeed."""
    dag_file = tmp_path / "siblings.py"
    dag_file.write_text(textwrap.dedent(f"""
        import os, time
        from pathlib import Path
        from legato import DAG, task
        PIDS = Path({str(pids)!r})

        def gone(pid):
            try:
                with open(f"/proc/{{pid}}/stat") as f:
                    return f.read().rsplit(")", 1)[1].split()[0] == "Z"
            except FileNotFoundError:
                return True

        def wait_until(check, timeout=30.0):
            deadline = time.monotonic() + timeout
            while not check():
                if time.monotonic() > deadline:
                    raise TimeoutError("waited too long")
                time.sleep(0.02)

        with DAG("siblings", default_args={{"retries": 0}}) as dag:
            @task
            def healthy(i):
                (PIDS / f"healthy{{i}}.pid").write_text(str(os.getpid()))
                victim = PIDS / "victim.pid"
                wait_until(victim.exists)
                wait_until(lambda: gone(int(victim.read_text())))   # still in flight when it dies
                return i

            @task
            def victim():
                wait_until(lambda: len(list(PIDS.glob("healthy*.pid"))) == 2)
                (PIDS / "victim.pid").write_text(str(os.getpid()))
                os._exit(9)

            healthy.expand(i=[1, 2])
            victim()
    """))
    dag = load_file(dag_file).dags[0]
    result = dag.run(executor="local:process", max_workers=3)
    assert result["healthy"].state == "success" and sorted(result["healthy"].result) == [1, 2]
    assert result["healthy"].tries == 1
    assert result["victim"].state == "failed"
    assert "worker process" in result["victim"].error and "exited with code 9" in result["victim"].error


def _request(dag_file: Path, home: Path, task_id: str, *, try_number: int = 1,
             timeout_s: float | None = None) -> TryRequest:
    day = "2024-01-01T00:00:00+00:00"
    return TryRequest(dag_id=load_file(dag_file).dags[0].dag_id, fileloc=str(dag_file),
                      run_id="r1", task_id=task_id, map_index=-1, try_number=try_number,
                      retries=0, logical_date=day, data_interval_start=day, data_interval_end=day,
                      params={}, event=None, timeout_s=timeout_s, home=str(home),
                      database_url=f"sqlite:///{home / 'legato.db'}")


def _next_outcome(executor: LocalExecutor, seen: list[Any], timeout: float) -> TryFinished:
    def check() -> TryFinished | None:
        seen.extend(executor.events(0.05))
        done = [e for e in seen if isinstance(e, TryFinished)]
        return done[-1] if done else None

    return eventually(check, timeout, what="the try's outcome")


STUBBORN = """
    import os, time
    from pathlib import Path
    from legato import DAG, task
    PIDS = Path({pids!r})
    with DAG("stubborn") as dag:
        @task
        def forever():
            (PIDS / "forever.pid").write_text(str(os.getpid()))
            while True:                      # swallows TaskTimeout: only a kill stops it
                try:
                    time.sleep(60)
                except BaseException:
                    pass

        @task
        def quick():
            return os.getpid()

        @task
        def busy_in_c():
            return sum(range(200_000_000))   # ~2 s holding the GIL: no heartbeat can be sent

        forever(); quick(); busy_in_c()
"""


@pytest.fixture()
def stubborn(tmp_path: Path, pids: Path) -> Path:
    path = tmp_path / "stubborn.py"
    path.write_text(textwrap.dedent(STUBBORN.format(pids=str(pids))))
    return path


@pytest.mark.parametrize("timeout_s, error_type", [(None, "TryCancelled"), (0.5, "TaskTimeout")])
def test_cancel_kills_a_try_that_does_not_stop(stubborn: Path, pids: Path, legato_home: Path,
                                              timeout_s: float | None, error_type: str) -> None:
    executor = LocalExecutor(2, "process", heartbeat_s=30)
    try:
        executor.submit(_request(stubborn, legato_home, "forever", timeout_s=timeout_s))
        pid = _pid_in(pids / "forever.pid")
        seen: list[Any] = []
        eventually(lambda: seen.extend(executor.events(0.05)) or any(
            isinstance(e, TryStarted) for e in seen), 10, what="TryStarted")
        if timeout_s is not None:
            time.sleep(timeout_s)            # the driver cancels once the timeout has passed
        asked = time.monotonic()
        executor.cancel("r1", ("forever", -1))
        outcome = _next_outcome(executor, seen, timeout=5)
        assert time.monotonic() - asked < 2.5
        assert outcome.state == "failed" and outcome.error_type == error_type
        assert outcome.retryable is (error_type == "TaskTimeout")
        assert "killed" in outcome.error
        eventually(lambda: not _alive(pid), 5, what="the worker to be gone")
        executor.submit(_request(stubborn, legato_home, "quick"))   # the pool still works
        after = _next_outcome(executor, [], timeout=20)
        assert after.state == "success" and after.task_id == "quick"
    finally:
        _kill_leftovers(pids)                # a shutdown waits for running tries
        executor.shutdown()


def test_cancel_of_a_queued_try_drops_it(stubborn: Path, pids: Path, legato_home: Path) -> None:
    executor = LocalExecutor(1, "process", heartbeat_s=30)
    try:
        executor.submit(_request(stubborn, legato_home, "forever"))
        _pid_in(pids / "forever.pid")
        executor.submit(_request(stubborn, legato_home, "quick"))      # waits: one worker
        executor.cancel("r1", ("quick", -1))
        outcome = _next_outcome(executor, [], timeout=5)
        assert (outcome.task_id, outcome.error_type, outcome.retryable) == ("quick", "TryCancelled", False)
        executor.cancel("r1", ("forever", -1))
        assert _next_outcome(executor, [], timeout=5).task_id == "forever"
    finally:
        _kill_leftovers(pids)
        executor.shutdown()


def test_a_frozen_worker_is_killed_and_its_try_retried(stubborn: Path, pids: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGSTOP with no execution_timeout used to hold the run for ever; now the try is lost
    after LEGATO_WORKER_HEARTBEAT_S and its retry succeeds."""
    monkeypatch.setenv("LEGATO_WORKER_HEARTBEAT_S", "1")
    dag_file = stubborn.parent / "freezes.py"
    dag_file.write_text(textwrap.dedent(f"""
        import os
        from pathlib import Path
        from legato import DAG, task
        PIDS = Path({str(pids)!r})
        with DAG("freezes", default_args={{"retries": 1, "retry_delay": 0}}) as dag:
            @task
            def freeze_once():
                marker = PIDS / "froze"
                if not marker.exists():
                    marker.write_text("x")
                    (PIDS / "frozen.pid").write_text(str(os.getpid()))
                    os.kill(os.getpid(), 19)     # SIGSTOP: the worker freezes, no timeout set
                return "thawed"
            freeze_once()
    """))
    dag = load_file(dag_file).dags[0]
    box: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: box.update(result=dag.run(executor="local:process",
                                                                       max_workers=1)),
                              daemon=True)
    runner.start()
    frozen = _pid_in(pids / "frozen.pid")
    runner.join(30)
    assert not runner.is_alive(), "the run is held by the frozen worker"
    result = box["result"]
    assert result.state == "success" and result["freeze_once"].result == "thawed"
    assert result["freeze_once"].tries == 2
    assert not _alive(frozen)


def test_a_worker_busy_in_c_code_is_not_taken_for_frozen(stubborn: Path, pids: Path,
                                                        legato_home: Path) -> None:
    """The heartbeat thread cannot run while C code holds the GIL; CPU time shows it is alive."""
    executor = LocalExecutor(1, "process", heartbeat_s=0.5)
    try:
        executor.submit(_request(stubborn, legato_home, "busy_in_c"))
        outcome = _next_outcome(executor, [], timeout=30)
        assert outcome.state == "success", outcome.error
        assert outcome.end - outcome.start > 0.5       # it did outlast the heartbeat window
    finally:
        executor.shutdown()


def test_shutdown_stops_every_worker(stubborn: Path, legato_home: Path) -> None:
    executor = LocalExecutor(2, "process", heartbeat_s=30)
    executor.submit(_request(stubborn, legato_home, "quick"))
    pid = _next_outcome(executor, [], timeout=20)
    assert pid.state == "success"
    workers = executor._procs.worker_pids()
    assert workers
    executor.shutdown()
    assert not [p for p in workers if _alive(p)]


def test_a_timed_out_try_in_a_worker_fails_cleanly_and_runs_its_callback(tmp_path: Path) -> None:
    """The runner's own SIGALRM stops the try; the driver's cancel that follows must not
    interrupt the failure callback or the log."""
    marker = tmp_path / "callback-ran"
    dag_file = tmp_path / "slow.py"
    dag_file.write_text(textwrap.dedent(f"""
        import time
        from datetime import timedelta
        from pathlib import Path
        from legato import DAG, task

        def noted(ctx):
            time.sleep(0.3)                      # still in the callback when the cancel comes
            Path({str(marker)!r}).write_text(ctx.exception or "")

        with DAG("slow") as dag:
            @task(execution_timeout=timedelta(seconds=0.5), on_failure_callback=noted)
            def sleepy():
                time.sleep(30)
            sleepy()
    """))
    dag = load_file(dag_file).dags[0]
    started = time.monotonic()
    result = dag.run(executor="local:process", max_workers=1)
    assert time.monotonic() - started < 15
    assert result["sleepy"].state == "failed"
    assert result["sleepy"].error == "execution_timeout of 0.5s exceeded"    # not killed
    assert "execution_timeout" in marker.read_text()


def test_a_worker_that_died_idle_is_replaced_before_the_next_try(stubborn: Path,
                                                                legato_home: Path) -> None:
    """The try had not started: a fresh worker runs it, no try is lost."""
    executor = LocalExecutor(1, "process", heartbeat_s=30)
    try:
        executor.submit(_request(stubborn, legato_home, "quick"))
        first = _next_outcome(executor, [], timeout=20)
        [pid] = executor._procs.worker_pids()
        os.kill(pid, signal.SIGKILL)                 # out-of-memory killer, say
        eventually(lambda: not _alive(pid), 5, what="the idle worker to die")
        executor.submit(_request(stubborn, legato_home, "quick", try_number=2))
        second = _next_outcome(executor, [], timeout=20)
        assert first.state == second.state == "success", second.error
        assert executor._procs.worker_pids() != [pid]
    finally:
        executor.shutdown()


def test_legato_run_survives_a_frozen_worker(tmp_path: Path, pids: Path, legato_home: Path) -> None:
    """Through the CLI, with the setting from the environment as a user would set it."""
    import json
    import subprocess
    import sys

    dag_file = tmp_path / "frozen_cli.py"
    dag_file.write_text(textwrap.dedent(f"""
        import os
        from pathlib import Path
        from legato import DAG, task
        PIDS = Path({str(pids)!r})
        with DAG("frozen_cli", default_args={{"retries": 1, "retry_delay": 0}}) as dag:
            @task
            def freeze_once():
                if not (PIDS / "frozen.pid").exists():
                    (PIDS / "frozen.pid").write_text(str(os.getpid()))
                    os.kill(os.getpid(), 19)
                return "thawed"
            freeze_once()
    """))
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_WORKER_HEARTBEAT_S": "1"}
    out = subprocess.run([sys.executable, "-m", "legato.cli.main", "run", str(dag_file),
                          "--executor", "local:process", "--json"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    task = json.loads(out.stdout)["tasks"]["freeze_once"]
    assert (task["state"], task["tries"]) == ("success", 2)
    assert not _alive(int((pids / "frozen.pid").read_text()))
