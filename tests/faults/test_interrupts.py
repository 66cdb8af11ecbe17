"""Stopping `legato run` and `legato backfill` (issue 10 items 1, 29, 31):

- Ctrl-C or SIGTERM on `legato run`: the run ends `cancelled` (exit 130), within seconds, and a
  scheduler started afterwards does not adopt and finish it. Before: it stayed `running` and a
  later scheduler finished it with the current code, even with the DAG paused.
- `legato run --retries 0`: a first try of a broken DAG does not wait out its retry delays.
- `legato backfill` creates exactly the runs of its range and drives only those: not the
  DAG's schedule, not another DAG's; the scheduler later does not re-run backfilled dates;
  Ctrl-C cancels what is left of the backfill (none of it stays queued).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legato.config import load_settings
from legato.engine.executors import make_executor
from legato.engine.scheduler import Scheduler
from process_support import CLI, base_env, cli, cli_json, log_tail, write_dag
from waiting import eventually

pytestmark = pytest.mark.e2e

SLOW = """
    import time
    from legato import DAG, task
    with DAG("slow", schedule=None) as dag:
        @task
        def first():
            return 1
        @task
        def sleepy(x):
            time.sleep(90)
        @task
        def after(x):
            return x
        after(sleepy(first()))
"""


def _rows(home: Path, sql: str) -> list[tuple]:
    """The rows, or none while the store is still being created."""
    try:
        with sqlite3.connect(home / "legato.db") as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_legato_run_cancels_the_run(tmp_path: Path, legato_home: Path,
                                                 sig: signal.Signals,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    dags, log = tmp_path / "dags", tmp_path / "run.log"
    monkeypatch.setenv("LEGATO_DAGS", str(dags))          # the scheduler below knows the DAG
    path = write_dag(dags, "slow", SLOW)
    env = base_env(legato_home, dags)
    proc = subprocess.Popen([*CLI, "run", str(path)], env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    eventually(lambda: legato_home.joinpath("legato.db").exists() and _rows(
        legato_home, "SELECT 1 FROM task_instances WHERE task_id='sleepy' AND state='running'"),
        what="sleepy running", alive=proc, explain=log_tail(log))
    sent = time.monotonic()
    proc.send_signal(sig)
    assert proc.wait(timeout=15) == 130
    assert time.monotonic() - sent < 15
    (_run_id, state), = _rows(legato_home, "SELECT run_id, state FROM dag_runs")
    assert state == "cancelled"
    states = dict(_rows(legato_home, "SELECT task_id, state FROM task_instances"))
    assert states == {"first": "success", "sleepy": "failed", "after": "skipped"}
    assert "cancelled" in log.read_text()
    scheduler = Scheduler(load_settings(), make_executor("inline"))   # nothing left to adopt
    scheduler.run_until_idle(timeout_s=10)
    assert "slow" in scheduler.dags
    assert _rows(legato_home, "SELECT state FROM dag_runs") == [("cancelled",)]


def test_retries_zero_fails_at_once(tmp_path: Path, legato_home: Path) -> None:
    path = write_dag(tmp_path / "dags", "flaky", """
        from datetime import timedelta
        from legato import DAG, task
        with DAG("flaky", schedule=None,
                 default_args={"retries": 3, "retry_delay": timedelta(minutes=5)}) as dag:
            @task
            def broken():
                raise RuntimeError("not yet")
            broken()
    """)
    started = time.monotonic()
    done = cli(base_env(legato_home, tmp_path / "dags"), "run", str(path), "--retries", "0",
               "--json", timeout=60)
    assert done.returncode == 1, done.stderr
    assert time.monotonic() - started < 30
    assert _rows(legato_home, "SELECT task_id, try_number, state FROM task_tries") == [
        ("broken", 1, "failed")]


def _midnight(days_ago: int) -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days_ago)


def _catchup_dags(folder: Path) -> None:
    for dag_id, days in (("procure", 60), ("other", 3)):
        write_dag(folder, dag_id, f"""
            from legato import DAG
            from legato.tasks import EmptyTask
            with DAG({dag_id!r}, schedule="@daily", start_date={_midnight(days).isoformat()!r},
                     catchup=True) as dag:
                EmptyTask("extract") >> EmptyTask("load")
        """)


def test_backfill_runs_exactly_its_range(tmp_path: Path, legato_home: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    dags = tmp_path / "dags"
    monkeypatch.setenv("LEGATO_DAGS", str(dags))
    _catchup_dags(dags)
    env = base_env(legato_home, dags)
    first, last = _midnight(40), _midnight(36)
    done = cli_json(env, "backfill", "procure", "--start", first.isoformat(),
                    "--end", last.isoformat())
    assert [r["state"] for r in done] == ["success"] * 5
    runs = _rows(legato_home, "SELECT dag_id, run_type, state FROM dag_runs")
    assert sorted(runs) == [("procure", "backfill", "success")] * 5     # nothing else
    scheduler = Scheduler(load_settings(), make_executor("local"), poll_s=0.05)
    try:
        scheduler.run_until_idle(timeout_s=120)
    finally:
        scheduler.executor.shutdown()
    per_date = _rows(legato_home, "SELECT logical_date, count(*) FROM dag_runs WHERE "
                     "dag_id='procure' GROUP BY logical_date")
    assert len(per_date) == 60 and {n for _, n in per_date} == {1}     # backfilled dates once
    types = dict(_rows(legato_home, "SELECT run_type, count(*) FROM dag_runs WHERE "
                       "dag_id='procure' GROUP BY run_type"))
    assert types == {"backfill": 5, "scheduled": 55}


def test_ctrl_c_cancels_what_is_left_of_a_backfill(tmp_path: Path, legato_home: Path) -> None:
    dags, log = tmp_path / "dags", tmp_path / "backfill.log"
    write_dag(dags, "serial", f"""
        import time
        from legato import DAG, task
        with DAG("serial", schedule="@daily", start_date={_midnight(10).isoformat()!r},
                 max_active_runs=1) as dag:
            @task
            def slow():
                time.sleep(90)
            slow()
    """)
    env = base_env(legato_home, dags)
    proc = subprocess.Popen([*CLI, "backfill", "serial", "--start", _midnight(5).isoformat(),
                             "--end", _midnight(3).isoformat()], env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    eventually(lambda: legato_home.joinpath("legato.db").exists() and _rows(
        legato_home, "SELECT 1 FROM task_instances WHERE state='running'"),
        what="the first backfill run running", alive=proc, explain=log_tail(log))
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 130
    assert _rows(legato_home, "SELECT state, count(*) FROM dag_runs GROUP BY state") == [
        ("cancelled", 3)]
