"""`legato demo --all` as a new user runs it (issue 15: under two minutes), whole process.

Usage: python benchmarks/demo.py [--runs N]   (each run in a new home; median and range)
It reports; it does not test: the exit status is 0 even when the budget is missed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 120.0
ROOT = Path(__file__).resolve().parent.parent


def once() -> tuple[float, bool]:
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "legato.cli.main", "demo", "--all",
                               "--home", str(Path(tmp) / "gallery")], capture_output=True,
                              text=True, cwd=ROOT)
        return time.perf_counter() - began, done.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = [once() for _ in range(parser.parse_args().runs)]
    times = [t for t, _ in runs]
    ok = all(good for _, good in runs)
    median = statistics.median(times)
    print(f"{'workload':<16}{'median s':>10}{'min':>8}{'max':>8}{'budget':>8}  result")
    print(f"{'demo --all':<16}{median:>10.1f}{min(times):>8.1f}{max(times):>8.1f}"
          f"{BUDGET_S:>8.0f}  {'met' if median <= BUDGET_S else 'MISSED'}"
          f"{'' if ok else ' (an example did not behave: exit 1)'}")


if __name__ == "__main__":
    main()
