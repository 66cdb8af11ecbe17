"""Airflow DAG files, unchanged: `legato run` vs `airflow dags test`, whole process.

    python benchmarks/airflow_compat.py              # median of 5 runs each, after 1 warm-up
    python benchmarks/airflow_compat.py --runs 3 --only taskflow_etl

The DAG files are the corpus of tests/airflow_compat/dags (written after Airflow's documented
examples). Each command is timed from spawn to exit (interpreter start, imports, parsing, the
run, shutdown):

- legato:  `legato run FILE --dag ID --date 2024-01-03` against an initialized store
- airflow: `airflow dags test -f FILE ID 2024-01-03` (Airflow 3.3.2 in its own virtualenv at
  /tmp/peers/airflow, created here with plain pip if missing, as /work/shared/bench/setup.sh
  does; AIRFLOW_HOME is a fresh sqlite database migrated once, untimed)

Each file is copied alone into a folder of its own, which is Airflow's DAGs folder for its runs
(`dags test` also parses the rest of the DAGs folder), so neither side parses more than it.

That both end each file in the same run and task states is what tests/airflow_compat checks;
the table shows both exit codes, legato's / airflow's (each: 0 the run succeeded, 1 it failed,
as the DAG intends).
Prints a table with the ratio airflow / legato; always exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "tests" / "airflow_compat" / "dags"
VENV = Path("/tmp/peers/airflow")
AIRFLOW_VERSION = "3.3.2"
DATE = "2024-01-03T00:00:00+00:00"
FILES = ["taskflow_etl", "tutorial_classic", "branch_python", "short_circuit_default",
         "task_group_basic", "setup_teardown_basic", "mapping_upstream", "xcom_classic",
         "trigger_rules_mix", "params_basic"]


def ensure_airflow() -> Path:
    """The `airflow` script of the peer venv, installing Airflow there if it is missing."""
    airflow = VENV / "bin" / "airflow"
    if airflow.exists():
        return airflow
    print(f"installing apache-airflow=={AIRFLOW_VERSION} into {VENV} (plain pip) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "pip"), "install", "-q", "--no-cache-dir"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, f"apache-airflow=={AIRFLOW_VERSION}"], check=True)
    return airflow


def legato_cli() -> list[str]:
    beside = Path(sys.executable).with_name("legato")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("legato")
    return [found] if found else [sys.executable, "-m", "legato.cli.main"]


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    t0 = time.monotonic()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return time.monotonic() - t0, done.returncode, done.stdout + done.stderr


def median_of(cmd: list[str], env: dict[str, str], runs: int, warmup: int) -> tuple[float, int]:
    times, rc = [], 0
    for i in range(warmup + runs):
        wall, rc, _ = timed(cmd, env)
        if i >= warmup:
            times.append(wall)
    return statistics.median(times), rc


def tasks_busy_s(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds during which at least one task was running, from one more (untimed) `legato
    run --json`: the time the tasks' own work takes (a `sleep 1` in a Bash task) whichever
    engine runs them. Neither side can go below it, so a DAG that sleeps cannot show a 20x
    ratio however small the engine's part; the last column compares the engines' parts."""
    done = subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    spans = sorted((datetime.fromisoformat(t["start"]), datetime.fromisoformat(t["end"]))
                   for t in json.loads(done.stdout)["tasks"].values() if t["start"] and t["end"])
    busy, edge = 0.0, None
    for start, end in spans:
        start = max(start, edge) if edge else start
        if end > start:
            busy += (end - start).total_seconds()
        edge = max(end, edge) if edge else end
    return busy


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--only", action="append")
    a = ap.parse_args()
    # Whole processes are timed as users run them, with bytecode cached: a shell that sets
    # PYTHONDONTWRITEBYTECODE (this sandbox's does) would have every run compile Legato's
    # (editable-install) sources again, a cost no installed copy pays. Both sides alike.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    airflow = ensure_airflow()
    tmp = Path(tempfile.mkdtemp(prefix="airflow-compat-bench-"))
    af_env = {**os.environ, "AIRFLOW_HOME": str(tmp / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
              "PATH": f"{airflow.parent}:{os.environ['PATH']}"}
    subprocess.run([str(airflow), "db", "migrate"], env=af_env, check=True, capture_output=True)
    lg_env = {**os.environ, "LEGATO_HOME": str(tmp / "legato")}
    rows = []
    for name in a.only or FILES:
        folder = tmp / "dags" / name
        folder.mkdir(parents=True)
        path = Path(shutil.copy(DAGS / f"{name}.py", folder))
        env = {**af_env, "AIRFLOW__CORE__DAGS_FOLDER": str(folder)}
        legato_run = [*legato_cli(), "run", str(path), "--dag", name, "--date", DATE]
        lg, lg_rc = median_of(legato_run, lg_env, a.runs, a.warmup)
        af, af_rc = median_of([str(airflow), "dags", "test", "-f", str(path), name, DATE],
                              env, a.runs, a.warmup)
        busy = tasks_busy_s(legato_run, lg_env)
        rows.append((name, lg, af, busy, f"{lg_rc}/{af_rc}"))
        print(f"{name}: legato {lg:.3f}s (exit {lg_rc})  airflow {af:.3f}s (exit {af_rc})"
              f"  x{af / lg:.1f}"
              f"  (tasks busy {busy:.3f}s)", flush=True)
    print()
    print("| DAG file | legato run (s) | airflow dags test (s) | ratio | tasks busy (s) "
          "| ratio beyond the tasks' own time |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, lg, af, busy, rc in rows:
        print(f"| {name} (exit {rc}) | {lg:.3f} | {af:.3f} | {af / lg:.1f}x | {busy:.3f} "
              f"| {(af - busy) / (lg - busy):.1f}x |")
    total_lg, total_af = sum(r[1] for r in rows), sum(r[2] for r in rows)
    total_busy = sum(r[3] for r in rows)
    print(f"| **all {len(rows)}** | {total_lg:.3f} | {total_af:.3f} | {total_af / total_lg:.1f}x "
          f"| {total_busy:.3f} | {(total_af - total_busy) / (total_lg - total_busy):.1f}x |")
    print(f"\nmedian of {a.runs} runs after {a.warmup} warm-up; Airflow {AIRFLOW_VERSION} at {VENV}; "
          "tasks busy: the seconds some task was running, from one more `legato run --json`")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
