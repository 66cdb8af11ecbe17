"""The scale rows of benchmarks/run.py (issue 16): how the cost per task holds as DAGs grow.

- fanout-N (start -> N no-ops -> end) at N = 100, 1,000 and 10,000, with 2 workers and with the
  default (32 threads): warm `dag.run()` seconds and microseconds per task;
- chain-N (N no-ops in sequence) at N = 100, 1,000 and 5,000: milliseconds per hop;
- build-10k: defining a 10,000-task fan-out DAG;
- trigger-to-start: a `legato scheduler` process running, `operate.trigger` from this process,
  until the run is claimed (start_date - created_at, from the store).

With Dagster installed where ../shared/bench/setup.sh puts it (/tmp/peers/dagster), the same
fan-out and chain shapes run there too (its in-process `execute_in_process`, the scripts of
../shared/bench/dagster), measured in the same invocation, and the table shows the ratio.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DAGSTER_PY = Path(os.environ.get("LEGATO_BENCH_DAGSTER", "/tmp/peers/dagster/bin/python"))
DAGSTER_DIR = Path("/work/shared/bench/dagster")


@dataclass
class ScaleRow:
    name: str
    tasks: int
    legato_s: float | None
    dagster_s: float | None = None
    unit: str = "task"                    # "task" | "hop" | "total"
    note: str = ""


def _noop(*_: Any) -> None:
    return None


def fanout(n: int) -> Any:
    from legato import DAG, task

    noop = task(_noop)
    with DAG(f"scale_fanout_{n}", start_date="2024-01-01") as dag:
        start = noop.override(task_id="start")()
        mids = [noop.override(task_id=f"n{i}")() for i in range(n)]
        end = noop.override(task_id="end")()
        start >> mids
        mids >> end
    return dag


def chain(n: int) -> Any:
    from legato import DAG, task

    noop = task(_noop)
    with DAG(f"scale_chain_{n}", start_date="2024-01-01") as dag:
        prev = None
        for i in range(n):
            node = noop.override(task_id=f"c{i}")()
            if prev is not None:
                prev >> node
            prev = node
    return dag


def _median_run(dag: Any, runs: int, workers: int | None) -> float:
    dag.run(max_workers=workers)                       # warm-up (creates the store)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = dag.run(max_workers=workers)
        times.append(time.perf_counter() - t0)
        if result.state != "success":
            raise RuntimeError(f"{dag.dag_id}: {result.state}")
    return statistics.median(times)


def _dagster(script: str, n: int, runs: int) -> float | None:
    """Median in-process seconds of a ../shared/bench/dagster script, or None without Dagster."""
    if not DAGSTER_PY.exists():
        return None
    times = []
    for _ in range(runs):
        done = subprocess.run([str(DAGSTER_PY), str(DAGSTER_DIR / script), str(n)],
                              capture_output=True, text=True, cwd=tempfile.gettempdir(),
                              env={**os.environ, "DAGSTER_HOME": tempfile.mkdtemp()})
        found = re.search(r"inner_s=([0-9.]+)", done.stdout)
        if done.returncode != 0 or found is None:
            return None
        times.append(float(found.group(1)))
    return statistics.median(times)


def measure(runs: int, with_dagster: bool = True) -> list[ScaleRow]:
    rows: list[ScaleRow] = []
    for n in (100, 1000, 10_000):
        dag = fanout(n)
        reps = runs if n < 10_000 else max(1, runs // 2)
        dagster = _dagster("w1_fanout.py", n, max(1, reps // 2)) if with_dagster else None
        for workers in (2, None):
            label = f"fanout-{n} ({'2 workers' if workers else 'default'})"
            print(f"measuring {label} ...", file=sys.stderr, flush=True)
            rows.append(ScaleRow(label, n + 2, _median_run(dag, reps, workers),
                                 dagster if workers is None else None))
    for n in (100, 1000, 5000):
        print(f"measuring chain-{n} ...", file=sys.stderr, flush=True)
        reps = runs if n < 5000 else max(1, runs // 2)
        dagster = _dagster("w2_chain.py", n, max(1, reps // 2)) if with_dagster else None
        rows.append(ScaleRow(f"chain-{n}", n, _median_run(chain(n), reps, None), dagster, "hop"))
    rows.append(ScaleRow("build-10k", 10_002, _build_time(runs), unit="total"))
    rows.append(_trigger_to_start(runs * 3))
    return rows


def _build_time(runs: int) -> float:
    return statistics.median(_timed(lambda: fanout(10_000)) for _ in range(runs))


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _trigger_to_start(triggers: int) -> ScaleRow:
    """Seconds from a trigger's commit to the run's claim by a running scheduler (median)."""
    print("measuring trigger-to-start ...", file=sys.stderr, flush=True)
    folder = Path(tempfile.mkdtemp()) / "dags"
    folder.mkdir()
    (folder / "ping.py").write_text(
        "from legato import DAG, task\n"
        "with DAG('ping', schedule=None, is_paused_upon_creation=False) as dag:\n"
        "    @task\n    def pong():\n        return 1\n    pong()\n")
    old = os.environ.get("LEGATO_DAGS")
    os.environ["LEGATO_DAGS"] = str(folder)
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "legato.cli.main", "scheduler"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from legato.config import load_settings
        from legato.services import operate
        from legato.store import runs as run_store
        from legato.store.db import open_engine

        settings = load_settings()
        waits = []
        for _ in range(triggers):
            run_id = _trigger_when_ready(operate, settings)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with open_engine(settings.database_url).connect() as conn:
                    run = run_store.get_run(conn, run_id)
                if run is not None and run.start_date is not None:
                    waits.append((run.start_date - run.created_at).total_seconds())
                    break
                time.sleep(0.001)
            time.sleep(0.2)                               # let the run finish: one at a time
        return ScaleRow("trigger-to-start", 1, statistics.median(waits) if waits else None,
                        unit="total")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        if old is None:
            os.environ.pop("LEGATO_DAGS", None)
        else:
            os.environ["LEGATO_DAGS"] = old


def _trigger_when_ready(operate: Any, settings: Any) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            return str(operate.trigger(settings, "ping").run_id)
        except Exception:                     # the scheduler has not parsed the folder yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def table(rows: list[ScaleRow]) -> str:
    head = ["scale workload", "legato (s)", "per task/hop", "dagster in-process (s)",
            "dagster / legato"]
    body = []
    for r in rows:
        per = "-"
        if r.legato_s is not None and r.unit in ("task", "hop"):
            per = (f"{r.legato_s / r.tasks * 1e6:.0f} us/task" if r.unit == "task"
                   else f"{r.legato_s / r.tasks * 1e3:.3f} ms/hop")
        ratio = (f"{r.dagster_s / r.legato_s:.1f}x" if r.dagster_s and r.legato_s else "-")
        total = "-" if r.legato_s is None else (
            f"{r.legato_s * 1e3:.1f} ms" if r.unit == "total" else f"{r.legato_s:.4f}")
        body.append([r.name, total, per, "-" if r.dagster_s is None else f"{r.dagster_s:.3f}",
                     ratio])
    widths = [max(len(c[i]) for c in [head, *body]) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
             for cells in [head, *body]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
