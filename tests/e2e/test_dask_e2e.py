"""Legato against a Dask cluster that runs as its own processes (`dask scheduler`, `dask
worker`): `legato scheduler --executor dask://...` and `legato run --executor dask://...` as
subprocesses, and a scheduler killed under a running try."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from e2e_support import free_port

from legato.authoring.loader import load_file
from legato.config import load_settings
from legato.services import queries
from waiting import eventually

pytestmark = pytest.mark.e2e
distributed = pytest.importorskip("distributed")
DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]
CLI = [sys.executable, "-m", "legato.cli.main"]


def stop(proc: subprocess.Popen[Any], *, kill: bool = False) -> None:
    """SIGTERM (or SIGKILL) the process group: `dask worker` has nanny and worker children."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def dask_cluster(workers: int, log_dir: Path) -> Iterator[tuple[str, subprocess.Popen[Any]]]:
    """A scheduler and `workers` worker processes; yields (host:port, the scheduler process)
    once every worker has joined."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    log_dir.mkdir(parents=True, exist_ok=True)
    sched_log = (log_dir / f"scheduler-{port}.log").open("w")
    work_log = (log_dir / f"workers-{port}.log").open("w")
    scheduler = subprocess.Popen([*DASK, "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], stdout=sched_log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    worker = subprocess.Popen([*WORKER, f"tcp://{address}", "--nworkers", str(workers),
                               "--nthreads", "2", "--no-dashboard"],
                              stdout=work_log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with distributed.Client(f"tcp://{address}", timeout=60) as client:
            client.wait_for_workers(workers, timeout=60)
        yield address, scheduler
    finally:
        stop(worker, kill=scheduler.poll() is not None)   # orphaned workers: no need to wait
        stop(scheduler)
        sched_log.close()
        work_log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dask_cluster(2, tmp_path_factory.mktemp("dask")) as (address, _):
        yield address


def finished_state(home: Path, run_id: str) -> str | None:
    """The run's state once it has finished, else None."""
    with sqlite3.connect(home / "legato.db") as conn:
        row = conn.execute("select state from dag_runs where run_id=?", (run_id,)).fetchone()
    return row[0] if row and row[0] in ("success", "failed") else None


def test_scheduler_process_runs_a_queued_run_on_the_cluster(
        tmp_path: Path, legato_home: Path, cluster: str) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "fan.py").write_text(textwrap.dedent("""
        import os
        from legato import DAG, task
        with DAG("dask_e2e_fan", schedule=None) as dag:
            @task
            def parts(params):
                return list(range(params["n"]))
            @task
            def work(i):
                return [i, os.getpid()]
            @task
            def gather(rows):
                return {"sum": sum(i for i, _ in rows), "pids": sorted({p for _, p in rows})}
            gather(work.expand(i=parts()))
    """))
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags)}
    proc = subprocess.Popen([*CLI, "scheduler", "--executor", f"dask://{cluster}"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        queued = subprocess.run([*CLI, "dags", "trigger", "dask_e2e_fan", "--param", "n=12",
                                 "--json"], env=env, capture_output=True, text=True, check=True)
        run_id = json.loads(queued.stdout)["run_id"]
        state = eventually(lambda: finished_state(legato_home, run_id), 60, alive=proc,
                           what="the run to finish")
        assert state == "success"
        with sqlite3.connect(legato_home / "legato.db") as conn:
            value = conn.execute("select value_json from xcom where run_id=? and task_id='gather'",
                                 (run_id,)).fetchone()[0]
        gathered = json.loads(value)
        assert gathered["sum"] == sum(range(12))
        assert proc.pid not in gathered["pids"]            # ran on the cluster's workers
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out


def test_legato_run_on_the_cluster(tmp_path: Path, legato_home: Path, cluster: str) -> None:
    dag_file = tmp_path / "hello.py"
    dag_file.write_text(textwrap.dedent("""
        import os
        from legato import DAG, task
        with DAG("dask_e2e_hello") as dag:
            @task
            def hello():
                print("hello from a dask worker")
                return os.getpid()
            hello()
    """))
    env = {**os.environ, "LEGATO_HOME": str(legato_home)}
    done = subprocess.run([*CLI, "run", str(dag_file), "--executor", f"dask://{cluster}",
                           "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["tasks"]["hello"]["state"] == "success"
    log = queries.read_log(load_settings(), report["run_id"], "hello", 1).text
    assert "hello from a dask worker" in log


def test_a_dask_scheduler_killed_under_a_running_try_fails_it_and_never_hangs(
        tmp_path: Path) -> None:
    import dask

    pid_file = tmp_path / "started.pid"
    dag_file = tmp_path / "orphan.py"
    dag_file.write_text(textwrap.dedent(f"""
        import os, time
        from pathlib import Path
        from legato import DAG, task
        with DAG("dask_e2e_orphan") as dag:
            @task
            def long():
                Path({str(pid_file)!r}).write_text(str(os.getpid()))
                time.sleep(120)
            long()
    """))
    dag = load_file(dag_file).dags[0]
    with dask_cluster(1, tmp_path / "dask") as (address, scheduler):
        outcome: dict[str, Any] = {}

        def drive() -> None:
            with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
                outcome["r"] = dag.run(executor=f"dask://{address}")

        runner = threading.Thread(target=drive, daemon=True)
        runner.start()
        eventually(pid_file.exists, 60, what="the try to start")
        scheduler.send_signal(signal.SIGKILL)
        runner.join(timeout=90)
        assert not runner.is_alive(), "dag.run hung after the Dask scheduler died"
    result = outcome["r"]
    assert result.state == "failed"
    assert result["long"].error and "connection to the Dask scheduler" in result["long"].error


def test_legato_scheduler_killed_mid_try_loses_nothing_on_the_cluster(
        tmp_path: Path, legato_home: Path, cluster: str) -> None:
    """kill -9 of `legato scheduler` while a try runs on a Dask worker: the restarted
    scheduler adopts the run, fails-and-retries the orphaned try, and the run succeeds with
    exactly one successful try (the orphan's late end is never recorded)."""
    dags = tmp_path / "dags"
    dags.mkdir()
    started, release = tmp_path / "started", tmp_path / "release"
    (dags / "adopt.py").write_text(textwrap.dedent(f"""
        import time
        from pathlib import Path
        from legato import DAG, task
        with DAG("dask_e2e_adopt", schedule=None,
                 default_args={{"retries": 1, "retry_delay": 0}}) as dag:
            @task
            def slow(ctx):
                if ctx.try_number == 1:
                    Path({str(started)!r}).write_text("1")
                    for _ in range(1200):             # until the test releases it
                        if Path({str(release)!r}).exists():
                            break
                        time.sleep(0.05)
                return ctx.try_number
            slow()
    """))
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags)}
    scheduler_cmd = [*CLI, "scheduler", "--executor", f"dask://{cluster}"]
    first = subprocess.Popen(scheduler_cmd, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    second = None
    try:
        queued = subprocess.run([*CLI, "dags", "trigger", "dask_e2e_adopt", "--json"], env=env,
                                capture_output=True, text=True, check=True)
        run_id = json.loads(queued.stdout)["run_id"]
        eventually(started.exists, 60, alive=first, what="the first try to start")
        first.kill()
        first.wait(timeout=30)
        second = subprocess.Popen(scheduler_cmd, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        state = eventually(lambda: finished_state(legato_home, run_id), 60, alive=second,
                           what="the adopted run to finish")
        assert state == "success"
        with sqlite3.connect(legato_home / "legato.db") as conn:
            rows = conn.execute("select try_number, state, error_type from task_tries where "
                                "run_id=? order by try_number", (run_id,)).fetchall()
        assert rows == [(1, "failed", "TryLost"), (2, "success", None)]
    finally:
        release.write_text("go")
        if first.poll() is None:
            first.kill()
        if second is not None:
            second.send_signal(signal.SIGTERM)
            out, _ = second.communicate(timeout=30)
            assert second.returncode == 0, out
