"""The Dask executor on a real cluster of worker processes (the session's `dask_cluster`),
beyond what tests/conformance/test_executor_conformance.py checks of every executor: fan-out
with logs and XCom across workers, a worker killed mid-try, the throwaway cluster of
`--executor dask`, address checks, an unreachable scheduler, a DAG file edited under the
cluster.

Each test defines its DAG in a file (workers import it by path) with a DAG id of its own:
a worker keeps the DAGs it has imported, and the cluster outlives each test.
"""

from __future__ import annotations

import os
import signal
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from legato.authoring.loader import load_file
from legato.config import load_settings
from legato.engine.executors import make_executor
from legato.engine.executors.dask import ExecutorUnavailable, parse_address
from legato.services.queries import read_log
from legato.store import tries as try_store
from legato.store.db import open_engine
from waiting import eventually

distributed = pytest.importorskip("distributed")


@pytest.fixture
def executor(dask_cluster: Any) -> str:
    return "dask://" + dask_cluster.scheduler_address.removeprefix("tcp://")


def load_dag(tmp_path: Path, name: str, body: str) -> Any:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return load_file(path).dags[0]


def tries(run_id: str, task_id: str | None = None) -> list[try_store.TryRow]:
    with open_engine(load_settings().database_url).connect() as conn:
        return try_store.tries_of(conn, run_id, task_id)


def no_task_succeeded_twice(run_id: str) -> bool:
    wins: dict[tuple[str, int], int] = {}
    for t in tries(run_id):
        if t.state == "success":
            wins[(t.task_id, t.map_index)] = wins.get((t.task_id, t.map_index), 0) + 1
    return all(n == 1 for n in wins.values())


def test_fan_out_runs_on_workers_with_results_logs_and_xcom(tmp_path: Path,
                                                              executor: str) -> None:
    dag = load_dag(tmp_path, "dask_fan", """
        import os
        from legato import DAG, task
        with DAG("dask_fan") as dag:
            @task
            def numbers(ctx):
                ctx.xcom_push("count", 8)
                return list(range(8))
            @task
            def square(x):
                print(f"squaring {x} in {os.getpid()}")
                return [x * x, os.getpid()]
            @task
            def total(pairs, ctx):
                return [sum(p[0] for p in pairs), ctx.xcom_pull("numbers", key="count")]
            total(square.expand(x=numbers()))
    """)
    result = dag.run(executor=executor)
    assert result.state == "success"
    squares = result["square"].result
    assert [s for s, _ in squares] == [i * i for i in range(8)]
    assert os.getpid() not in {pid for _, pid in squares}   # ran in worker processes
    assert result["total"].result == [140, 8]                # XCom pushed on one worker,
    log = read_log(load_settings(), result.run_id, "square", map_index=3).text  # read on another
    assert "OUTPUT  squaring 3 in" in log and "success after" in log
    assert not list((load_settings().home / "dask-claims").glob("*.claim"))


def test_a_worker_killed_mid_try_loses_the_try_which_is_retried_once(tmp_path: Path,
                                                                      executor: str) -> None:
    """The first try writes its pid and sleeps; the test SIGKILLs that worker process. Dask
    reschedules the task elsewhere, the claim stops a second run of the same try, the engine
    retries it as try 2 and the run succeeds with exactly one success per task."""
    pid_file = tmp_path / "victim.pid"
    dag = load_dag(tmp_path, "dask_victim", f"""
        import os, time
        from pathlib import Path
        from legato import DAG, task
        PID = Path({str(pid_file)!r})
        with DAG("dask_victim", default_args={{"retries": 2, "retry_delay": 0}}) as dag:
            @task
            def victim(ctx):
                if ctx.try_number == 1:
                    PID.write_text(str(os.getpid()))
                    time.sleep(120)               # killed long before this ends
                return f"try {{ctx.try_number}}"
            @task
            def bystander(i):
                return i
            bystander.expand(i=list(range(4)))
            victim()
    """)
    outcome: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: outcome.update(r=dag.run(executor=executor)))
    runner.start()
    pid = eventually(lambda: pid_file.exists() and pid_file.read_text(), 60,
                     what="the first try to start")
    os.kill(int(pid), signal.SIGKILL)
    runner.join(timeout=120)
    assert not runner.is_alive(), "the run hung after its worker was killed"
    result = outcome["r"]
    assert result.state == "success"
    assert result["victim"].result == "try 2" and result["victim"].tries == 2
    first = tries(result.run_id, "victim")[0]
    assert (first.state, first.error_type) == ("failed", "TryLost")
    assert "Dask rescheduled it, but a try never runs twice" in (first.error or "")
    assert no_task_succeeded_twice(result.run_id)


def test_dask_alone_starts_a_local_cluster_where_a_dead_worker_fails_the_try(
        tmp_path: Path) -> None:
    """`--executor dask`: a throwaway LocalCluster with allowed-failures=0, so a worker that
    dies mid-try is a KilledWorker at once, reported lost and retried by the engine."""
    marker = tmp_path / "died-once"
    dag = load_dag(tmp_path, "dask_own", f"""
        import os, signal
        from pathlib import Path
        from legato import DAG, task
        MARKER = Path({str(marker)!r})
        with DAG("dask_own", default_args={{"retries": 1, "retry_delay": 0}}) as dag:
            @task
            def crash_once():
                if not MARKER.exists():
                    MARKER.write_text("x")
                    os.kill(os.getpid(), signal.SIGKILL)
                return os.getpid()
            crash_once()
    """)
    result = dag.run(executor="dask", max_workers=1)
    assert result.state == "success" and result["crash_once"].tries == 2
    first = tries(result.run_id, "crash_once")[0]
    assert first.error_type == "TryLost" and "died" in (first.error or "")


def test_executor_names_are_checked() -> None:
    assert parse_address("dask://scheduler:8786") == "tcp://scheduler:8786"
    assert parse_address("dask://scheduler") == "tcp://scheduler:8786"
    assert parse_address("dask+tls://10.0.0.5:9000") == "tls://10.0.0.5:9000"
    for bad in ("dask://", "dask://host:port", "dask://host:99999", "dask:/host:1",
                "dasky://h:1"):
        with pytest.raises(ValueError, match="expected dask://host:port"):
            make_executor(bad)


def test_an_unreachable_scheduler_is_a_clear_error_and_no_run_is_left_behind(
        tmp_path: Path) -> None:
    import dask
    import sqlalchemy as sa

    from legato.store.schema import dag_runs

    dag = load_dag(tmp_path, "dask_nowhere", """
        from legato import DAG, task
        with DAG("dask_nowhere") as dag:
            @task
            def never():
                return 1
            never()
    """)
    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}), \
            pytest.raises(ExecutorUnavailable,
                          match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9 "):
        dag.run(executor="dask://127.0.0.1:9")
    with open_engine(load_settings().database_url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(dag_runs)).scalar() == 0


def test_workers_re_import_a_dag_file_that_changed(tmp_path: Path, executor: str) -> None:
    """The cluster outlives deployments: an edited DAG file is not served from a worker's
    cache."""
    body = """
        import time
        from legato import DAG, task
        with DAG("dask_edited") as dag:
            @task
            def version(i):
                time.sleep(0.2)                 # eight of these occupy every worker thread
                return {v}
            version.expand(i=list(range(8)))
    """
    first = load_dag(tmp_path, "dask_edited", body.format(v=1)).run(executor=executor)
    path = tmp_path / "dask_edited.py"
    path.write_text(textwrap.dedent(body.format(v=2)))
    later = path.stat().st_mtime_ns + 2_000_000_000
    os.utime(path, ns=(later, later))                   # a coarse-mtime filesystem still sees it
    second = load_file(path).dags[0].run(executor=executor)
    assert (first["version"].result, second["version"].result) == ([1] * 8, [2] * 8)
