#!/usr/bin/env python3
"""Dask executor vs. the local process pool: fanout-100 and chain-20, `dag.run()` per figure.

Usage: python benchmarks/dask.py [--runs N] [--workers N]
Both executors get the same number of worker processes (default 2, one thread each). The Dask
cluster is started once, before timing (it is the user's long-lived cluster), while each
`local:process` run starts its own pool, as `dag.run(executor="local:process")` does: the
figures are what a user of each sees per run. It reports; it does not test.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# This file is named like the `dask` package: keep its folder off sys.path so `import dask`
# (here and in the spawned worker processes, which inherit sys.path) finds the real one.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def _load_run_helpers() -> Any:
    spec = importlib.util.spec_from_file_location("legato_bench_run", HERE / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module                     # its dataclasses look themselves up
    spec.loader.exec_module(module)
    return module


CHAIN_20 = """
    from legato import DAG, chain, task

    @task
    def noop() -> None:
        return None

    with DAG("w2_chain_20", start_date="2024-01-01") as dag:
        chain(*[noop.override(task_id=f"t{i}")() for i in range(20)])
"""
# name -> (hops for per-hop figures, incumbent label)
WORKLOADS = {"fanout-100": (0, "w1_fanout_100"), "chain-20": (20, "w2_chain_100")}


def workload_dag(bench: Any, name: str, folder: Path) -> Any:
    if name == "fanout-100":
        return bench.load(bench.WORKLOADS / "fanout_100.py").dag
    path = folder / "chain_20.py"                       # workers import it by this path
    path.write_text(textwrap.dedent(CHAIN_20))
    return bench.load(path).dag


def timer(bench: Any, dag: Any, executor: str, workers: int) -> Callable[[], float]:
    def one() -> float:
        box: dict[str, Any] = {}
        elapsed = bench.timed(lambda: box.update(r=dag.run(executor=executor,
                                                           max_workers=workers)))
        if box["r"].state != "success":
            raise RuntimeError(f"{dag.dag_id} on {executor}: run ended {box['r'].state!r}")
        return elapsed

    return one


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5, help="counted runs (after 1 warm-up)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes for both")
    a = ap.parse_args()
    bench = _load_run_helpers()
    from distributed import LocalCluster

    print(f"starting a Dask LocalCluster of {a.workers} worker processes ...", file=sys.stderr)
    with LocalCluster(n_workers=a.workers, processes=True, threads_per_worker=1,
                      dashboard_address=":0") as cluster:
        dask_url = "dask://" + cluster.scheduler_address.removeprefix("tcp://")
        rows = []
        for name, (hops, label) in WORKLOADS.items():
            figures: dict[str, float] = {}
            with bench.workload_home() as home:
                dag = workload_dag(bench, name, Path(home))
                for executor in ("local:process", dask_url):
                    print(f"measuring {name} on {executor} ...", file=sys.stderr, flush=True)
                    figures[executor] = bench.median_of(timer(bench, dag, executor, a.workers),
                                                        max(1, a.runs))
            rows.append((name, hops, label, figures["local:process"], figures[dask_url]))
    print(table(bench, rows, a))
    return 0


def table(bench: Any, rows: list[tuple[str, int, str, float, float]], a: Any) -> str:
    inc = bench.read_incumbents()
    head = ["workload", "local:process (s)", "dask (s)", "dask / local", "per-hop ms local/dask",
            *(f"{n} wall/inner (s)" for n in bench.INCUMBENTS)]
    body = []
    for name, hops, label, local, dask_s in rows:
        hop = f"{local / hops * 1000:.1f}/{dask_s / hops * 1000:.1f}" if hops else "-"
        cells = [name, f"{local:.3f}", f"{dask_s:.3f}", f"{dask_s / local:.2f}", hop]
        for n in bench.INCUMBENTS:
            wall, inner = inc.get(f"{n}.{label}", (None, None))
            cells.append("-" if wall is None else f"{wall:.3f}/{bench.fmt(inner, 3)}")
        body.append(cells)
    widths = [max(len(c[i]) for c in [head, *body]) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
             for cells in [head, *body]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join([
        (f"median of {a.runs} dag.run() after 1 warm-up; {a.workers} worker processes each "
        "(local:process: a new pool per run; dask: a LocalCluster started before timing)"),
        *lines,
        "incumbents (not run here): " + str(bench.INCUMBENT_TSV) + "; for chain-20 they are "
        "the chain-100 figures (compare per hop: their inner / 100).",
    ])


if __name__ == "__main__":
    sys.exit(main())
