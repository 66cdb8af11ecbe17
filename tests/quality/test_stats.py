"""PSI, KS and the profile against small cases computed by hand."""

from __future__ import annotations

import math

import pytest

from legato.quality import ks_statistic, profile, psi, stats


def test_psi_hand_computed() -> None:
    # (0.25 - 0.5) ln(0.25/0.5) + (0.75 - 0.5) ln(0.75/0.5) = 0.25 ln 2 + 0.25 ln 1.5
    assert psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.25 * math.log(2) + 0.25 * math.log(1.5))
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0
    assert psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(psi([0.25, 0.75], [0.5, 0.5]))
    # an empty bin counts as epsilon: (1e-4 - 0.5) ln(1e-4 / 0.5) + (1 - 0.5) ln(1 / 0.5)
    expected = (1e-4 - 0.5) * math.log(1e-4 / 0.5) + 0.5 * math.log(2)
    assert psi([0.5, 0.5], [0.0, 1.0]) == pytest.approx(expected)
    with pytest.raises(ValueError):
        psi([1.0], [0.5, 0.5])


def test_ks_hand_computed() -> None:
    assert ks_statistic([1, 2], [3, 4]) == 1.0
    assert ks_statistic([1, 2, 3], [2, 3, 4]) == pytest.approx(1 / 3)
    assert ks_statistic([1, 2, 3, 4], [1, 2, 3, 4]) == 0.0
    # ties across samples: at x=1, F_a = 2/4 and F_b = 1/2 -> 0; at x=2, 3/4 vs 1/2 -> 1/4
    assert ks_statistic([1, 1, 2, 3], [1, 3]) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        ks_statistic([], [1])


def test_quantile_histogram_bins() -> None:
    vals = [1.0, 2.0, 3.0, 4.0]
    assert stats.quantile(vals, 0.5) == 2.5 and stats.quantile(vals, 0.25) == 1.75
    assert stats.histogram([0.0, 1.0, 2.0, 10.0], 2) == ([0.0, 5.0, 10.0], [3, 1])
    assert stats.bin_fractions([1, 2, 3, 4], [2, 3]) == [0.5, 0.25, 0.25]
    assert stats.sketch(list(range(11)), 3) == [0, 5, 10]


def test_profile_of_records() -> None:
    rows = [{"amount": 1, "vendor": "a"}, {"amount": 3, "vendor": "a"},
            {"amount": None, "vendor": "b"}, {"amount": 2.0}]
    p = profile(rows)
    assert p["row_count"] == 4
    amount, vendor = p["columns"]["amount"], p["columns"]["vendor"]
    assert amount["kind"] == "numeric" and amount["null_ratio"] == 0.25
    assert (amount["min"], amount["max"], amount["mean"]) == (1.0, 3.0, 2.0)
    assert amount["std"] == pytest.approx(1.0) and amount["distinct"] == 3
    assert amount["quantiles"]["p50"] == 2.0 and sum(amount["histogram"]["counts"]) == 3
    assert vendor["kind"] == "categorical" and vendor["null_ratio"] == 0.25
    assert vendor["top"] == [["a", 2], ["b", 1]] and vendor["distinct"] == 2
