"""The scheduler as a process under faults of the machine (issue 10 items 5 and 7):

- SIGTERM during a try: the scheduler stops starting tries, waits for the try (up to
  LEGATO_STOP_GRACE_S) and commits its outcome; the next scheduler finishes the run without
  running that task again. Before: the outcome was thrown away and the try counted as lost.
- Dropped PostgreSQL connections (pg_terminate_backend, again and again): one log line per
  fault, no exit, every run succeeds.
- A full disk under SQLite: the scheduler waits, logs, and resumes when space comes back.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from legato.store.db import normalize_url
from process_support import base_env, cli_json, log_tail, start, write_dag
from waiting import eventually

pytestmark = pytest.mark.e2e

LEDGERED = """
    import time
    from legato import DAG, task
    with DAG("ledgered", schedule=None, max_active_runs=32) as dag:
        @task
        def work(ctx):
            time.sleep({sleep})
            with open({ledger!r}, "a") as f:
                f.write(ctx.run_id + " " + ctx.task_id + "\\n")
            return 1
        @task
        def after(x):
            return x + 1
        after(work())
"""


@pytest.fixture()
def rig(tmp_path: Path, legato_home: Path) -> Iterator[dict[str, Path]]:
    procs: list[subprocess.Popen[bytes]] = []
    paths = {"dags": tmp_path / "dags", "ledger": tmp_path / "ledger.txt",
             "log": tmp_path / "scheduler.log", "home": legato_home}
    yield paths
    for proc in procs:
        if proc.poll() is None:
            proc.kill()


def _sqlite_rows(home: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "legato.db") as conn:
        return conn.execute(sql).fetchall()


def test_sigterm_commits_the_outcome_of_a_try_in_flight(rig: dict[str, Path]) -> None:
    write_dag(rig["dags"], "ledgered", LEDGERED.format(sleep=2, ledger=str(rig["ledger"])))
    env = base_env(rig["home"], rig["dags"], LEGATO_STOP_GRACE_S="20")
    run_id = cli_json(env, "dags", "trigger", "ledgered")["run_id"]
    sched = start(env, "scheduler", log=rig["log"])
    eventually(lambda: _sqlite_rows(rig["home"], "SELECT state FROM task_instances WHERE "
                                    "task_id='work' AND state='running'"),
               what="the try running", alive=sched, explain=log_tail(rig["log"]))
    sched.send_signal(signal.SIGTERM)
    assert sched.wait(timeout=30) == 0
    tries = _sqlite_rows(rig["home"], "SELECT task_id, try_number, state FROM task_tries")
    assert tries == [("work", 1, "success")]                 # committed, not lost
    assert _sqlite_rows(rig["home"], "SELECT state FROM task_instances WHERE task_id='after'") \
        == [("scheduled",)]                                  # nothing new was started
    again = start(env, "scheduler", log=rig["log"])
    try:
        eventually(lambda: _sqlite_rows(rig["home"], "SELECT 1 FROM dag_runs WHERE run_id="
                                        f"'{run_id}' AND state='success'"),
                   what="the run finished by the next scheduler", alive=again,
                   explain=log_tail(rig["log"]))
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=30)
    assert rig["ledger"].read_text().splitlines() == [f"{run_id} work"]   # ran once


def test_dropped_postgres_connections_do_not_stop_the_scheduler(
        rig: dict[str, Path], scratch_postgres_url: str) -> None:
    write_dag(rig["dags"], "ledgered", LEDGERED.format(sleep=0.3, ledger=str(rig["ledger"])))
    env = base_env(rig["home"], rig["dags"], LEGATO_DATABASE_URL=scratch_postgres_url)
    runs = {cli_json(env, "dags", "trigger", "ledgered")["run_id"] for _ in range(12)}
    engine = sa.create_engine(normalize_url(scratch_postgres_url))
    kill = sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                   "datname = current_database() AND pid <> pg_backend_pid()")
    sched = start(env, "scheduler", log=rig["log"])
    try:
        for drop in range(5):                    # five drops while runs are in progress
            eventually(lambda n=drop: _pg_scalar(engine, "SELECT count(*) FROM task_tries") > n,
                       what="progress between drops", alive=sched, explain=log_tail(rig["log"]))
            with engine.begin() as conn:
                conn.execute(kill)
        eventually(lambda: _pg_scalar(engine, "SELECT count(*) FROM dag_runs WHERE state = "
                                      "'success'") == len(runs),
                   what="every run succeeded", alive=sched, explain=log_tail(rig["log"]),
                   timeout_s=120)
        assert sched.poll() is None
    finally:
        sched.send_signal(signal.SIGTERM)
        code = sched.wait(timeout=30)
        engine.dispose()
    assert code == 0
    log = rig["log"].read_text()
    assert "Traceback" not in log
    ledger = rig["ledger"].read_text().splitlines()
    print(f"\nfault figures (dropped PostgreSQL connections): runs={len(runs)} drops=5 "
          f"tasks_lost={len({f'{r} work' for r in runs} - set(ledger))} "
          f"ran_twice={len(ledger) - len(set(ledger))}")
    assert sorted(ledger) == sorted(f"{r} work" for r in runs)    # each work ran exactly once


def _pg_scalar(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs (the machine must allow mounting one; skipped where it does not)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_pauses_the_scheduler_until_space_returns(
        rig: dict[str, Path], small_disk: Path) -> None:
    home = small_disk / "home"
    write_dag(rig["dags"], "ledgered", LEDGERED.format(sleep=0, ledger=str(rig["ledger"])))
    env = base_env(home, rig["dags"])
    runs = {cli_json(env, "dags", "trigger", "ledgered")["run_id"] for _ in range(5)}
    filler = _fill(small_disk)
    sched = start(env, "scheduler", log=rig["log"])
    try:
        eventually(lambda: "store unavailable" in rig["log"].read_text(errors="replace"),
                   what="the fault logged", alive=sched, explain=log_tail(rig["log"]))
        filler.unlink()
        eventually(lambda: _sqlite_rows(home, "SELECT count(*) FROM dag_runs WHERE "
                                        "state='success'")[0][0] == len(runs),
                   what="every run succeeded after space came back", alive=sched,
                   explain=log_tail(rig["log"]))
        assert "available again" in rig["log"].read_text()
    finally:
        sched.send_signal(signal.SIGTERM)
        sched.wait(timeout=30)
    assert os.path.exists(home / "legato.db")
