"""Pure statistics for profiles and drift: quantiles, histograms, PSI and the KS statistic.

Plain Python on lists (no numpy): everything here is a function of its arguments, tested
against small hand-computed cases.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

PSI_EPSILON = 1e-4   # a bin with no rows counts as this fraction (ln(0) is undefined)


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default, "type 7")."""
    if not sorted_values:
        raise ValueError("quantile of no values")
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n - 1; 0.0 for a single value)."""
    n = len(values)
    mean = math.fsum(values) / n
    if n < 2:
        return mean, 0.0
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))


def histogram(sorted_values: Sequence[float], bins: int) -> tuple[list[float], list[int]]:
    """Equal-width bins from min to max: (bins + 1 edges, counts); the last bin is closed."""
    lo, hi = sorted_values[0], sorted_values[-1]
    if lo == hi:
        return [lo, hi], [len(sorted_values)]
    width = (hi - lo) / bins
    edges = [lo + i * width for i in range(bins)] + [hi]
    counts = [0] * bins
    for v in sorted_values:
        counts[min(int((v - lo) / width), bins - 1)] += 1
    return edges, counts


def sketch(sorted_values: Sequence[float], size: int) -> list[float]:
    """At most `size` evenly spaced order statistics (all values when there are fewer)."""
    n = len(sorted_values)
    if n <= size:
        return list(sorted_values)
    return [sorted_values[round(i * (n - 1) / (size - 1))] for i in range(size)]


def bin_fractions(sorted_values: Sequence[float], edges: Sequence[float]) -> list[float]:
    """Fractions of values in (-inf, e0], (e0, e1], ..., (e_last, inf): len(edges) + 1 bins."""
    n = len(sorted_values)
    if n == 0:
        return [0.0] * (len(edges) + 1)
    cuts = [bisect.bisect_right(sorted_values, e) for e in edges]
    counts = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    return [c / n for c in counts]


def psi(expected: Sequence[float], actual: Sequence[float], epsilon: float = PSI_EPSILON) -> float:
    """Population stability index: sum of (a - e) * ln(a / e) over matching bins (fractions)."""
    if len(expected) != len(actual):
        raise ValueError(f"PSI needs matching bins, got {len(expected)} and {len(actual)}")
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, epsilon), max(a, epsilon)
        total += (a - e) * math.log(a / e)
    return total


def ks_statistic(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs."""
    if not a or not b:
        raise ValueError("KS statistic of an empty sample")
    xs, ys = sorted(a), sorted(b)
    i = j = 0
    gap = 0.0
    while i < len(xs) and j < len(ys):
        x = min(xs[i], ys[j])
        while i < len(xs) and xs[i] == x:
            i += 1
        while j < len(ys) and ys[j] == x:
            j += 1
        gap = max(gap, abs(i / len(xs) - j / len(ys)))
    return gap
