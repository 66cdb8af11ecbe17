#!/usr/bin/env python3
"""What observability costs: per event, and on whole runs.

Usage: python benchmarks/observability.py [--runs 5] [--events 200000]

1. Per event: the metrics listener's handler for one TaskFinished (called directly, and through
   Bus.publish minus an empty publish), and the tracer's span for one try when OpenTelemetry is
   installed (exporting to a no-op exporter, so only Legato's and the SDK's work is counted).
2. Whole runs: `dag.run()` of the fanout-1000 and chain-100 workloads (benchmarks/workloads)
   with LEGATO_METRICS=1 and =0, interleaved (on, off, on, off, ...) in one store after a
   warm-up of each, medians of --runs; ratio = on / off.

It reports; it does not test (exit status 0 whatever the figures).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402  (benchmarks/run.py: workload loading and temporary homes)

from legato.engine.bus import Bus, TaskFinished  # noqa: E402
from legato.observability.instruments import instruments  # noqa: E402
from legato.observability.listener import MetricsListener  # noqa: E402
from legato.observability.metrics import Registry  # noqa: E402

WORKLOADS = {"fanout-1000": "fanout_1000.py", "chain-100": "chain_100.py"}


def per_event_ns(fn: object, events: list[TaskFinished]) -> float:
    t0 = time.perf_counter_ns()
    for ev in events:
        fn(ev)  # type: ignore[operator]
    return (time.perf_counter_ns() - t0) / len(events)


def make_events(n: int) -> list[TaskFinished]:
    now = datetime.now(UTC)
    start = now - timedelta(seconds=0.2)
    return [TaskFinished(f"dag_{i % 20}", "run", f"t{i}", -1, 1,
                         "success" if i % 10 else "failed", None, None, now, start)
            for i in range(n)]


def micro(n: int) -> None:
    events = make_events(n)
    listener = MetricsListener(instruments(Registry()))
    direct = statistics.median(per_event_ns(listener.on_task, events) for _ in range(5))
    empty, full = Bus(), Bus()
    empty.subscribe(TaskFinished, lambda ev: None)
    listener.attach(full)
    through = statistics.median(per_event_ns(full.publish, events) for _ in range(5))
    baseline = statistics.median(per_event_ns(empty.publish, events) for _ in range(5))
    print(f"metrics listener, one TaskFinished: {direct / 1000:.2f} us direct, "
          f"{(through - baseline) / 1000:.2f} us through Bus.publish (minus an empty subscriber)")
    try:
        from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
    except ImportError:
        print("tracer: opentelemetry-sdk not installed, not measured")
        return

    class Drop(SpanExporter):
        def export(self, spans: object) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    from legato.observability import tracing

    tracer = tracing.RunTracer(tracing.build_provider(Drop(), batch=False))
    few = events[: max(1, n // 10)]
    spans = statistics.median(per_event_ns(tracer.on_task, few) for _ in range(5))
    print(f"tracer, one try span (SimpleSpanProcessor, no-op exporter): {spans / 1000:.2f} us")


def macro(runs: int) -> None:
    print(f"\n{'workload':<12} {'metrics on s':>13} {'metrics off s':>14} {'ratio':>7}")
    for name, file in WORKLOADS.items():
        dag = bench.load(bench.WORKLOADS / file).dag
        times: dict[str, list[float]] = {"1": [], "0": []}
        with bench.workload_home():
            for flag in ("1", "0"):                  # warm-ups, not counted
                os.environ["LEGATO_METRICS"] = flag
                bench.store_run(dag)
            for _ in range(runs):
                for flag in ("1", "0"):
                    os.environ["LEGATO_METRICS"] = flag
                    times[flag].append(bench.store_run(dag))
        os.environ.pop("LEGATO_METRICS", None)
        on, off = statistics.median(times["1"]), statistics.median(times["0"])
        print(f"{name:<12} {on:>13.4f} {off:>14.4f} {on / off:>7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    micro(args.events)
    macro(args.runs)


if __name__ == "__main__":
    main()
