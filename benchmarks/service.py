#!/usr/bin/env python3
"""Legato through the running service: `legato scheduler` as a subprocess, runs queued by the CLI.

Usage: python benchmarks/service.py [--runs N]

1. chain-100: trigger `svc_chain_100` (100 no-ops in sequence) N times, one at a time, wait for
   each to succeed (polling the SQLite store every 20 ms); per run the per-hop latency is the
   median over consecutive tasks of (start of t{i+1} - end of t{i}), and (last end - first
   start) / 99. Medians over the runs are reported.
2. throughput: `legato backfill svc_small --start 2020-01-01 --end 2020-07-18 --no-wait` queues
   200 daily runs of `a >> b` (EmptyTask); runs/s = 200 / (last run end - first run start).

Stdlib only. It reports; it does not test: the exit status is 0 even when a target is missed,
1 only when the service misbehaves (then its stderr is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

INCUMBENT_TSV = Path("/work/shared/bench/summary-so-far.tsv")
POLL_S = 0.02
CHAIN_ID = "svc_chain_100"
CHAIN_N = 100
SMALL_ID = "svc_small"
BACKFILL_START, BACKFILL_END, BACKFILL_N = "2020-01-01", "2020-07-18", 200
HOP_TARGET_S = 0.005

CHAIN_DAG = f'''from legato import DAG, chain, task

with DAG("{CHAIN_ID}", start_date="2024-01-01", schedule=None) as dag:
    @task
    def noop():
        return None

    chain(*[noop.override(task_id=f"t{{i}}")() for i in range({CHAIN_N})])
'''

SMALL_DAG = f'''from legato import DAG
from legato.tasks import EmptyTask

with DAG("{SMALL_ID}", start_date="2020-01-01", schedule="@daily", catchup=False) as dag:
    EmptyTask(task_id="a") >> EmptyTask(task_id="b")
'''


class ServiceError(RuntimeError):
    """The scheduler subprocess or the CLI did not behave; the message says how."""


@dataclass
class Scheduler:
    proc: subprocess.Popen[bytes]
    stderr_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise ServiceError(f"scheduler exited with status {self.proc.returncode}")

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def bench_root() -> Path:
    """Under ~/.cache, not /tmp (file creation in /tmp is very slow on this machine)."""
    root = Path(os.environ.get("LEGATO_BENCH_DIR") or Path.home() / ".cache" / "legato-bench")
    root.mkdir(parents=True, exist_ok=True)
    return root


def legato_cmd() -> list[str]:
    beside = Path(sys.executable).with_name("legato")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("legato")
    return [found] if found else [sys.executable, "-m", "legato.cli.main"]


def parse_dt(text: str) -> datetime:
    return datetime.fromisoformat(text)  # naive UTC text, e.g. '2026-11-24 11:03:37.123456'


def connect(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)


def query(db: Path, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    con = connect(db)
    try:
        return con.execute(sql, tuple(args)).fetchall()
    finally:
        con.close()


def cli(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run([*legato_cmd(), *args], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise ServiceError(f"`legato {' '.join(args)}` exited {done.returncode}:\n{done.stderr.strip()}")
    return json.loads(done.stdout)


def wait_ready(sched: Scheduler, db: Path, folder: Path, dag_ids: Sequence[str],
               timeout: float = 60.0) -> float:
    """Seconds until the scheduler has stored every DAG of the folder."""
    t0 = time.perf_counter()
    marks = ",".join("?" * len(dag_ids))
    while time.perf_counter() - t0 < timeout:
        sched.check_alive()
        if db.exists():
            try:
                rows = query(db, f"select count(*) from dags where dag_id in ({marks})", dag_ids)
                if rows[0][0] == len(dag_ids):
                    return time.perf_counter() - t0
            except sqlite3.OperationalError:
                pass  # schema not created yet
        time.sleep(POLL_S)
    stored = query(db, "select dag_id from dags") if db.exists() else []
    raise ServiceError(f"DAGs {list(dag_ids)} not registered by the scheduler within {timeout:.0f} s "
                       f"(dags table holds {[r[0] for r in stored]}; DAG files present: "
                       f"{sorted(p.name for p in folder.glob('*.py'))} in {folder})")


def wait_run(sched: Scheduler, db: Path, run_id: str, timeout: float = 60.0) -> str:
    t0 = time.perf_counter()
    state = "?"
    while time.perf_counter() - t0 < timeout:
        sched.check_alive()
        rows = query(db, "select state from dag_runs where run_id = ?", (run_id,))
        state = rows[0][0] if rows else "missing"
        if state in ("success", "failed"):
            return state
        time.sleep(POLL_S)
    raise ServiceError(f"run {run_id} still {state!r} after {timeout:.0f} s")


def chain_run(sched: Scheduler, db: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """One triggered chain run: (median hop s, (last end - first start)/99 s, trigger->observed s)."""
    t0 = time.perf_counter()
    run_id = str(cli(env, "dags", "trigger", CHAIN_ID, "--json")["run_id"])
    state = wait_run(sched, db, run_id)
    observed = time.perf_counter() - t0
    if state != "success":
        raise ServiceError(f"chain run {run_id} ended {state!r}")
    rows = query(db, "select task_id, start_date, end_date from task_instances where run_id = ?", (run_id,))
    tis = sorted(((int(t[1:]), parse_dt(s), parse_dt(e)) for t, s, e in rows), key=lambda r: r[0])
    if len(tis) != CHAIN_N:
        raise ServiceError(f"chain run {run_id}: {len(tis)} task instances, expected {CHAIN_N}")
    hops = [(tis[i + 1][1] - tis[i][2]).total_seconds() for i in range(CHAIN_N - 1)]
    span = (tis[-1][2] - tis[0][1]).total_seconds() / (CHAIN_N - 1)
    return statistics.median(hops), span, observed


def throughput(sched: Scheduler, db: Path, env: dict[str, str], timeout: float = 120.0) -> dict[str, float]:
    t0 = time.perf_counter()
    queued = cli(env, "backfill", SMALL_ID, "--start", BACKFILL_START, "--end", BACKFILL_END,
                 "--no-wait", "--json")
    t_queued = time.perf_counter() - t0
    if len(queued) != BACKFILL_N:
        raise ServiceError(f"backfill queued {len(queued)} runs, expected {BACKFILL_N}")
    ids = [str(r["run_id"]) for r in queued]
    base = "from dag_runs where dag_id = ? and run_type = 'backfill'"
    counts: dict[str, int] = {}
    while time.perf_counter() - t0 < timeout:
        sched.check_alive()
        counts = dict(query(db, f"select state, count(*) {base} group by state", (SMALL_ID,)))
        if counts.get("failed"):
            raise ServiceError(f"backfill: {counts['failed']} run(s) failed")
        if counts.get("success", 0) >= BACKFILL_N:
            break
        time.sleep(POLL_S)
    else:
        raise ServiceError(f"backfill not done after {timeout:.0f} s: {counts}")
    observed = time.perf_counter() - t0
    marks = ",".join("?" * len(ids))
    first, last, n = query(db, f"select min(start_date), max(end_date), count(*) from dag_runs "
                               f"where run_id in ({marks}) and state = 'success'", ids)[0]
    if n != BACKFILL_N:
        raise ServiceError(f"backfill: {n} of the queued runs succeeded, expected {BACKFILL_N}")
    span = (parse_dt(last) - parse_dt(first)).total_seconds()
    return {"runs": float(n), "span_s": span, "runs_per_s": n / span, "queue_cli_s": t_queued,
            "observed_s": observed}


def incumbent_prod_chain() -> str:
    """Airflow's production-path per-hop figure, if a row like 'airflow.prod_chain...' exists."""
    if not INCUMBENT_TSV.exists():
        return "-"
    for line in INCUMBENT_TSV.read_text().splitlines():
        cols = line.split("\t")
        if not cols or not cols[0].startswith("airflow.prod_chain"):
            continue
        try:
            extra: dict[str, Any] = json.loads(cols[-1])
        except ValueError:
            extra = {}
        for key, value in extra.items():
            if "hop" in key and isinstance(value, int | float):
                return f"{value * 1000:.1f} ms ({cols[0]})"
        return f"see {cols[0]}"
    return "-"


def ms(value: float) -> str:
    return f"{value * 1000:.2f} ms"


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    header = ("metric", "legato", "target", "incumbent")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--runs", type=int, default=5, help="chain-100 runs, one at a time")
    ap.add_argument("--keep", action="store_true", help="keep the temporary home and DAG folder")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="service-", dir=bench_root()))
    home, dags = work / "home", work / "dags"
    home.mkdir()
    dags.mkdir()
    (dags / "svc_chain_100.py").write_text(CHAIN_DAG)
    (dags / "svc_small.py").write_text(SMALL_DAG)
    db = home / "legato.db"
    env = {**os.environ, "LEGATO_HOME": str(home), "LEGATO_DAGS": str(dags)}
    env.pop("LEGATO_DATABASE_URL", None)

    stderr_path = work / "scheduler.stderr"
    with open(work / "scheduler.stdout", "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen([*legato_cmd(), "scheduler"], env=env, stdout=out, stderr=err)
    sched = Scheduler(proc, stderr_path)
    status = 0
    try:
        ready = wait_ready(sched, db, dags, (CHAIN_ID, SMALL_ID))
        print(f"scheduler pid {proc.pid}: DAGs registered {ready:.2f} s after spawn (home {home})")
        # The catchup=False @daily DAG gets one scheduled run at start; let it finish first.
        deadline = time.perf_counter() + 30
        while query(db, "select count(*) from dag_runs where state in ('queued', 'running')")[0][0]:
            if time.perf_counter() > deadline:
                raise ServiceError("start-up scheduled run of svc_small not finished after 30 s")
            sched.check_alive()
            time.sleep(POLL_S)

        hop_meds: list[float] = []
        spans: list[float] = []
        observed: list[float] = []
        for i in range(args.runs):
            hop, span, seen = chain_run(sched, db, env)
            hop_meds.append(hop)
            spans.append(span)
            observed.append(seen)
            print(f"chain run {i + 1}: hop median {ms(hop)}, (last end - first start)/99 {ms(span)}, "
                  f"trigger -> success observed {seen:.3f} s")
        tp = throughput(sched, db, env)
        print(f"backfill: {tp['runs']:.0f} runs queued in {tp['queue_cli_s']:.2f} s (CLI), "
              f"first start -> last end {tp['span_s']:.3f} s, all success observed "
              f"{tp['observed_s']:.2f} s after the backfill command started")
        hop = statistics.median(hop_meds)
        print()
        print_table([
            (f"chain-100 per hop (median of {args.runs} run medians)", ms(hop),
             f"<= {HOP_TARGET_S * 1000:.0f} ms ({'met' if hop <= HOP_TARGET_S else 'MISSED'})",
             incumbent_prod_chain()),
            ("chain-100 (last end - first start)/99", ms(statistics.median(spans)), "-", "-"),
            ("chain-100 trigger -> success observed", f"{statistics.median(observed):.3f} s", "-", "-"),
            (f"throughput ({BACKFILL_N} backfill runs of a >> b)", f"{tp['runs_per_s']:.1f} runs/s",
             "-", "-"),
        ])
    except ServiceError as exc:
        status = 1
        print(f"SERVICE PROBLEM: {exc}")
    finally:
        sched.stop()
    problems = [ln for ln in sched.stderr().splitlines()
                if any(w in ln for w in ("ERROR", "Error", "Traceback", "CRITICAL"))]
    if status or problems:
        print(f"\nscheduler stderr ({stderr_path}):")
        print(sched.stderr().rstrip() or "(empty)")
    if not args.keep and not status:
        shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
