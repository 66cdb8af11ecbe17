#!/usr/bin/env python3
"""Legato benchmarks: in-process `dag.run()` vs. a no-engine baseline, plus whole-process figures.

Usage: python benchmarks/run.py [--runs N] [--only NAME] [--no-scale] [--no-dagster]
It reports; it does not test: the exit status is 0 even when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import legato

HERE = Path(__file__).resolve().parent
WORKLOADS = HERE / "workloads"
INCUMBENT_TSV = Path("/work/shared/bench/summary-so-far.tsv")
INCUMBENTS = ("airflow", "prefect", "dagster")


@dataclass
class Row:
    name: str
    legato: float | None  # median seconds, None when it failed
    baseline: float | None
    label: str  # incumbent label in the TSV, "" for none
    hops: int = 0  # > 0: show per-hop ms
    target: tuple[str, float] | None = None  # ("total" | "hop" | "gap", limit in seconds)
    note: str = ""


# name -> (workload file, incumbent label, hops, target)
IN_PROCESS: dict[str, tuple[str, str, int, tuple[str, float] | None]] = {
    "fanout-100": ("fanout_100.py", "w1_fanout_100", 0, None),
    "fanout-1000": ("fanout_1000.py", "w1_fanout_1000", 0, ("total", 0.5)),
    "chain-100": ("chain_100.py", "w2_chain_100", 100, ("hop", 0.001)),
    "data-pass": ("datapass.py", "w3_datapass", 0, None),
    "hello": ("hello.py", "w4_hello", 0, None),
}
WHOLE_PROCESS = ("import", "hello-process", "hello-new-home", "run-vs-script")


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"legato_bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_root() -> str:
    """Temporary homes live beside the default `~/.legato`, on the filesystem a user's store
    would use; $LEGATO_BENCH_DIR overrides. (On this machine creating a file under /tmp
    costs ~700 us against ~25 us under /root, which would swamp per-try log files.)"""
    root = Path(os.environ.get("LEGATO_BENCH_DIR") or Path.home() / ".cache" / "legato-bench")
    root.mkdir(parents=True, exist_ok=True)
    return str(root)


@contextlib.contextmanager
def workload_home() -> Iterator[str]:
    """A temporary LEGATO_HOME for one workload: its warm-up run creates the store, the
    counted runs use it as a user's second run would (as the incumbents' figures do)."""
    home = tempfile.mkdtemp(prefix="legato-bench-", dir=bench_root())
    old = os.environ.get("LEGATO_HOME")
    os.environ["LEGATO_HOME"] = home
    try:
        yield home
    finally:
        from legato.store import db

        db.dispose_all()
        if old is None:
            os.environ.pop("LEGATO_HOME", None)
        else:
            os.environ["LEGATO_HOME"] = old
        shutil.rmtree(home, ignore_errors=True)


def store_run(dag: Any) -> float:
    """One timed `dag.run()` against the current LEGATO_HOME's store."""
    t0 = time.perf_counter()
    result = dag.run()
    elapsed = time.perf_counter() - t0
    if result.state != "success":
        raise RuntimeError(f"{dag.dag_id}: run ended in state {result.state!r}")
    return elapsed


def baseline_fn(dag: Any) -> Callable[[], None]:
    """The DAG's own task callables, called in topological order with no engine.

    Upstream results are passed straight through as arguments (for data-pass, the 10 MB str).
    """
    from legato.authoring.task import ResultRef

    def arg(value: Any, results: dict[str, Any]) -> Any:
        return results[value.task_id] if isinstance(value, ResultRef) else value

    def run() -> None:
        results: dict[str, Any] = {}
        for tid in dag.topological_order():
            t = dag.tasks[tid]
            args = [arg(v, results) for v in t.op_args]
            kwargs = {k: arg(v, results) for k, v in t.op_kwargs.items()}
            results[tid] = t.python_callable(*args, **kwargs)

    return run


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def median_of(fn: Callable[[], float], runs: int) -> float:
    fn()  # warm-up, not counted
    return statistics.median(fn() for _ in range(runs))


def interleaved_medians(a: Callable[[], float], b: Callable[[], float], runs: int
                        ) -> tuple[float, float]:
    """Medians of `a` and `b` measured in alternating rounds, so that a machine getting busier
    or quieter during the measurement weighs on both alike."""
    a(), b()  # warm-up, not counted
    pairs = [(a(), b()) for _ in range(runs)]
    return statistics.median(x for x, _ in pairs), statistics.median(y for _, y in pairs)


def subprocess_timer(cmd: list[str], fresh_home: bool) -> Callable[[], float]:
    pkg_root = str(Path(legato.__file__).resolve().parents[1])
    base_env = dict(os.environ)
    base_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (pkg_root, base_env.get("PYTHONPATH")) if p
    )

    def one() -> float:
        env = dict(base_env)
        home = tempfile.mkdtemp(prefix="legato-bench-", dir=bench_root()) if fresh_home else None
        if home:
            env["LEGATO_HOME"] = home
        try:
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, env=env, cwd=HERE.parent, capture_output=True, text=True)
            elapsed = time.perf_counter() - t0
        finally:
            if home:
                shutil.rmtree(home, ignore_errors=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
        return elapsed

    return one


def legato_cmd() -> list[str]:
    """The `legato` console script of this interpreter (not a pyenv shim), else PATH, else -m."""
    beside = Path(sys.executable).parent / "legato"
    exe = str(beside) if os.access(beside, os.X_OK) else shutil.which("legato")
    return [exe] if exe else [sys.executable, "-m", "legato.cli.main"]


def measure(name: str, runs: int) -> Row:
    if name in IN_PROCESS:
        file, label, hops, target = IN_PROCESS[name]
        dag = load(WORKLOADS / file).dag
        base = baseline_fn(dag)
        baseline = median_of(lambda: timed(base), runs)
        row = Row(name, None, baseline, label, hops, target)
        try:
            with workload_home():
                row.legato = median_of(lambda: store_run(dag), runs)
        except Exception as exc:  # noqa: BLE001  (report it and carry on)
            row.note = f"FAILED: {type(exc).__name__}: {exc}"[:200]
        return row
    if name == "run-vs-script":
        hello = str(WORKLOADS / "hello.py")
        row = Row(name, None, None, "w4_hello", 0, ("gap", 0.05))
        try:
            with workload_home():
                row.legato, row.baseline = interleaved_medians(
                    subprocess_timer([*legato_cmd(), "run", hello], False),
                    subprocess_timer([sys.executable, hello], False), runs)
        except Exception as exc:  # noqa: BLE001  (report it and carry on)
            row.note = f"FAILED: {type(exc).__name__}: {exc}"[:200]
        return row
    floor = median_of(subprocess_timer([sys.executable, "-c", "pass"], False), runs)
    if name == "import":
        cmd, fresh, label, target = [sys.executable, "-c", "import legato"], False, "", 0.15
    else:
        hello = str(WORKLOADS / "hello.py")
        fresh = name == "hello-new-home"
        cmd, label, target = [*legato_cmd(), "run", hello], "w4_hello", 0.35
    row = Row(name, None, floor, label, 0, ("total", target))
    try:
        with workload_home():
            row.legato = median_of(subprocess_timer(cmd, fresh), runs)
    except Exception as exc:  # noqa: BLE001  (report it and carry on)
        row.note = f"FAILED: {type(exc).__name__}: {exc}"[:200]
    return row


def read_incumbents() -> dict[str, tuple[float, float | None]]:
    """label -> (wall_median, inner_s) from the shared summary TSV."""
    out: dict[str, tuple[float, float | None]] = {}
    if not INCUMBENT_TSV.exists():
        return out
    for line in INCUMBENT_TSV.read_text().splitlines():
        cols = line.split("\t")
        if len(cols) < 9 or cols[1] == "0":
            continue
        try:
            inner = json.loads(cols[8]).get("inner_s")
            out[cols[0]] = (float(cols[3]), float(inner) if inner is not None else None)
        except ValueError:
            continue
    return out


def fmt(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def table(rows: list[Row]) -> str:
    inc = read_incumbents()
    head = ["workload", "legato median (s)", "baseline median (s)", "ratio", "per-hop ms",
            "target", *(f"{n} wall/inner (s)" for n in INCUMBENTS)]
    body: list[list[str]] = []
    for r in rows:
        ratio = r.legato / r.baseline if r.legato is not None and r.baseline else None
        per_hop = r.legato / r.hops if r.legato is not None and r.hops else None
        target = "-"
        if r.target:
            kind, limit = r.target
            got = {"hop": per_hop, "total": r.legato,
                   "gap": None if ratio is None else r.legato - r.baseline}[kind]  # type: ignore[operator]
            what = {"hop": f"<= {limit * 1000:g} ms/hop", "total": f"<= {limit:g} s",
                    "gap": f"+<= {limit * 1000:g} ms"}[kind]
            verdict = "n/a" if got is None else ("met" if got <= limit else "MISSED")
            target = f"{what} {verdict}"
        cells = [r.name, fmt(r.legato), fmt(r.baseline, 6), fmt(ratio, 1),
                 fmt(per_hop * 1000 if per_hop is not None else None, 3), target]
        for n in INCUMBENTS:
            wall, inner = inc.get(f"{n}.{r.label}", (None, None)) if r.label else (None, None)
            cells.append("-" if wall is None else f"{wall:.3f}/{fmt(inner, 3)}")
        body.append(cells)
    widths = [max(len(c[i]) for c in [head, *body]) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
             for cells in [head, *body]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    notes = [f"{r.name}: {r.note}" for r in rows if r.note]
    return "\n".join(lines + notes)


def main() -> int:
    names = [*IN_PROCESS, *WHOLE_PROCESS]
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5, help="counted runs per figure (after 1 warm-up)")
    ap.add_argument("--only", choices=names, help="measure one workload")
    ap.add_argument("--no-scale", action="store_true",
                    help="skip the scale rows (fan-out to 10k, chains to 5k, build, trigger)")
    ap.add_argument("--no-dagster", action="store_true",
                    help="do not run Dagster beside the scale rows even if it is installed")
    a = ap.parse_args()
    # Whole processes are timed as users run them, with bytecode cached: a shell that sets
    # PYTHONDONTWRITEBYTECODE (this sandbox's does) would have every run compile Legato's
    # (editable-install) sources again, a cost no installed copy pays. Both sides alike.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    rows = []
    for name in [a.only] if a.only else names:
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        rows.append(measure(name, max(1, a.runs)))
    scale_rows = []
    if not a.only and not a.no_scale:
        import scale

        with workload_home():
            scale_rows = scale.measure(max(1, a.runs), with_dagster=not a.no_dagster)
    print(f"legato {legato.__version__} ({Path(legato.__file__).parent}), python "
          f"{sys.version.split()[0]}, median of {a.runs} runs after 1 warm-up; "
          f"cli: {' '.join(legato_cmd())}")
    print(table(rows))
    if scale_rows:
        print()
        print(scale.table(scale_rows))
    print("baseline: in-process = task callables in topological order, no engine; "
          "import/hello-process = `python -c pass`; run-vs-script = the same file run by a script "
          "calling dag.run() (interleaved rounds). Incumbents: "
          f"{INCUMBENT_TSV} (wall = whole process, inner = in-process dag.test()/equivalent).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
