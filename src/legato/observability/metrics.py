"""A small metrics registry: counters, gauges and histograms with labels, cheap enough for the
engine's hot path, rendered by exposition.py in Prometheus' text format.

Why not prometheus_client: Legato writes the format itself (one small module) so the base
install needs no metrics library and the cost per event is known: `labels(...)` is one dict
lookup on the label tuple, `inc`/`observe` take an uncontended lock (a scheduler's threads and
the API's thread pool share the registry), and a histogram finds its bucket by bisection.

Label cardinality is bounded: each metric keeps at most `max_series` label sets; beyond that,
new label sets are counted under one series whose every label is "_overflow" (with a warning
once), so a runaway label (a run id by mistake) cannot exhaust memory or the scraper.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger("legato.metrics")

NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
OVERFLOW = "_overflow"
DEFAULT_MAX_SERIES = 10_000


@dataclass(frozen=True)
class Sample:
    name: str
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass(frozen=True)
class Family:
    """One metric as the exposition sees it: name, type, help and its samples."""
    name: str
    type: str                   # counter | gauge | histogram
    help: str
    samples: list[Sample] = field(default_factory=list)


class _Child:
    __slots__ = ("_lock", "value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0.0


class CounterChild(_Child):
    __slots__ = ()

    def inc(self, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError(f"a counter only goes up; inc({amount}) is negative")
        with self._lock:
            self.value += amount


class GaugeChild(_Child):
    __slots__ = ()

    def set(self, value: float) -> None:
        self.value = float(value)

    def inc(self, amount: float = 1.0) -> None:
        with self._lock:
            self.value += amount

    def dec(self, amount: float = 1.0) -> None:
        with self._lock:
            self.value -= amount


class HistogramChild:
    __slots__ = ("_lock", "_bounds", "_counts", "sum", "count")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self._lock = threading.Lock()
        self._bounds = bounds
        self._counts = [0] * (len(bounds) + 1)    # per bucket (not cumulative); last is +Inf
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        i = bisect_left(self._bounds, value)       # le: a value equal to a bound is in its bucket
        with self._lock:
            self._counts[i] += 1
            self.sum += value
            self.count += 1

    def snapshot(self) -> tuple[list[int], float, int]:
        """Cumulative bucket counts (the last is +Inf), sum and count, read together."""
        with self._lock:
            counts, total, n = list(self._counts), self.sum, self.count
        running, cumulative = 0, []
        for c in counts:
            running += c
            cumulative.append(running)
        return cumulative, total, n


C = TypeVar("C", "CounterChild", "GaugeChild", "HistogramChild")


class Metric(Generic[C]):
    """A named metric with fixed label names; `labels(*values)` gives the series to update."""

    type = ""

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = (), *,
                 max_series: int = DEFAULT_MAX_SERIES) -> None:
        if not NAME_RE.match(name):
            raise ValueError(f"metric name {name!r} is not a valid Prometheus name")
        for label in labelnames:
            if not LABEL_RE.match(label) or label.startswith("__"):
                raise ValueError(f"metric {name}: label name {label!r} is not valid")
        self.name, self.help, self.labelnames = name, help, tuple(labelnames)
        self.max_series = max_series
        self._children: dict[tuple[object, ...], C] = {}   # keys: label values as str
        self._lock = threading.Lock()
        self._warned = False
        if not self.labelnames:
            self._children[()] = self._new()

    def _new(self) -> C:
        raise NotImplementedError

    def labels(self, *values: object) -> C:
        """The series for these label values (one dict lookup once it exists)."""
        child = self._children.get(values)
        return child if child is not None else self._add(values)

    def _add(self, values: tuple[object, ...]) -> C:
        if len(values) != len(self.labelnames):
            raise ValueError(f"metric {self.name} takes labels {self.labelnames}, got {values!r}")
        key = tuple(str(v) for v in values)
        with self._lock:
            child = self._children.get(key)
            if child is None:
                if len(self._children) >= self.max_series:
                    key = (OVERFLOW,) * len(key)
                    self._warn_overflow()
                child = self._children.get(key)
                if child is None:
                    child = self._children[key] = self._new()
        return child

    def _warn_overflow(self) -> None:
        if not self._warned:
            self._warned = True
            log.warning("metric %s has %d label sets; new ones are counted as %r", self.name,
                        self.max_series, OVERFLOW)

    def series(self) -> list[tuple[tuple[tuple[str, str], ...], C]]:
        with self._lock:
            items = list(self._children.items())
        return [(tuple(zip(self.labelnames, map(str, key), strict=True)), child)
                for key, child in items]

    def collect(self) -> Family:
        family = Family(self.name, self.type, self.help)
        for labels, child in self.series():
            family.samples.append(Sample(self.name, labels, child.value))  # type: ignore[union-attr]
        return family


class Counter(Metric[CounterChild]):
    type = "counter"

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = (), **kw: int) -> None:
        if not name.endswith("_total"):
            raise ValueError(f"counter {name!r} must end in _total")
        super().__init__(name, help, labelnames, **kw)

    def _new(self) -> CounterChild:
        return CounterChild()

    def inc(self, amount: float = 1.0) -> None:
        self.labels().inc(amount)


class Gauge(Metric[GaugeChild]):
    type = "gauge"

    def _new(self) -> GaugeChild:
        return GaugeChild()

    def set(self, value: float) -> None:
        self.labels().set(value)


class Histogram(Metric[HistogramChild]):
    type = "histogram"

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = (), *,
                 buckets: Iterable[float], max_series: int = DEFAULT_MAX_SERIES) -> None:
        bounds = tuple(float(b) for b in buckets if not math.isinf(b))
        if not bounds or list(bounds) != sorted(set(bounds)):
            raise ValueError(f"histogram {name}: buckets must be increasing and not empty")
        if "le" in labelnames:
            raise ValueError(f"histogram {name}: 'le' is reserved for buckets")
        self.bounds = bounds
        super().__init__(name, help, labelnames, max_series=max_series)

    def _new(self) -> HistogramChild:
        return HistogramChild(self.bounds)

    def observe(self, value: float) -> None:
        self.labels().observe(value)

    def collect(self) -> Family:
        family = Family(self.name, self.type, self.help)
        les = [*(_le(b) for b in self.bounds), "+Inf"]
        for labels, child in self.series():
            cumulative, total, n = child.snapshot()
            for le, c in zip(les, cumulative, strict=True):
                family.samples.append(Sample(f"{self.name}_bucket", (*labels, ("le", le)), c))
            family.samples.append(Sample(f"{self.name}_sum", labels, total))
            family.samples.append(Sample(f"{self.name}_count", labels, n))
        return family


def _le(bound: float) -> str:
    return repr(float(bound))


class Registry:
    """The metrics of a process. Registering a name twice with the same type and labels gives
    the existing metric (attach runs once per bus); a clash is an error naming both."""

    def __init__(self) -> None:
        self._metrics: dict[str, Metric] = {}  # type: ignore[type-arg]
        self._lock = threading.Lock()

    def _get_or_add(self, cls: type[Metric], name: str, make: Callable[[], Metric],  # type: ignore[type-arg]
                    labelnames: Sequence[str]) -> Metric:  # type: ignore[type-arg]
        with self._lock:
            found = self._metrics.get(name)
            if found is None:
                found = self._metrics[name] = make()
            elif type(found) is not cls or found.labelnames != tuple(labelnames):
                raise ValueError(f"metric {name} is already registered as a {found.type} with "
                                 f"labels {found.labelnames}")
            return found

    def counter(self, name: str, help: str, labelnames: Sequence[str] = ()) -> Counter:
        return self._get_or_add(Counter, name, lambda: Counter(name, help, labelnames),  # type: ignore[return-value]
                                labelnames)

    def gauge(self, name: str, help: str, labelnames: Sequence[str] = ()) -> Gauge:
        return self._get_or_add(Gauge, name, lambda: Gauge(name, help, labelnames),  # type: ignore[return-value]
                                labelnames)

    def histogram(self, name: str, help: str, labelnames: Sequence[str] = (), *,
                  buckets: Iterable[float]) -> Histogram:
        bounds = list(buckets)
        return self._get_or_add(Histogram, name,  # type: ignore[return-value]
                                lambda: Histogram(name, help, labelnames, buckets=bounds),
                                labelnames)

    def collect(self) -> list[Family]:
        with self._lock:
            metrics = list(self._metrics.values())
        return [m.collect() for m in metrics]


REGISTRY = Registry()
"""The process's registry: the bus listener writes to it, GET /metrics reads it."""
