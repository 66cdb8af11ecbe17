"""`profile(data)`: what a dataset looks like, as plain JSON-able data.

For a list of dicts or a pandas DataFrame: the row count and, per column, the null ratio,
the distinct count, and either a numeric summary (min, max, mean, std, quantiles, an
equal-width histogram, decile edges with their fractions, and a sketch of up to 1,000 evenly
spaced order statistics that the KS statistic is computed from) or the top categories. A
stored profile is all drift needs: the reference's data is never kept.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

from . import stats

QUANTILES = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)
DECILES = tuple(i / 10 for i in range(1, 10))
OTHER = "__other__"


def as_records(data: Any) -> list[dict[str, Any]]:
    if hasattr(data, "to_dict") and hasattr(data, "iloc"):
        return data.to_dict("records")
    return list(data)


def _is_null(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _hashable(v: Any) -> Any:
    return json.dumps(v, sort_keys=True, default=str) if isinstance(v, (dict, list)) else v


def _numeric(values: list[float], bins: int, sketch_size: int) -> dict[str, Any]:
    try:
        values = sorted(float(v) for v in values)
    except OverflowError:
        raise ValueError("a number is too large to profile") from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError("cannot profile infinite numbers")
    mean, std = stats.mean_std(values)
    edges, counts = stats.histogram(values, bins)
    deciles = sorted({stats.quantile(values, q) for q in DECILES})
    return {
        "kind": "numeric", "min": values[0], "max": values[-1], "mean": mean, "std": std,
        "quantiles": {f"p{round(q * 100)}": stats.quantile(values, q) for q in QUANTILES},
        "histogram": {"edges": edges, "counts": counts},
        "psi_edges": deciles, "psi_fractions": stats.bin_fractions(values, deciles),
        "sketch": stats.sketch(values, sketch_size),
    }


def _categorical(values: list[Any], top: int, kept: int = 100) -> dict[str, Any]:
    """The `top` categories for people, and the frequencies of up to `kept` for drift."""
    counts = Counter(str(_hashable(v)) for v in values)
    n = len(values)
    ranked = counts.most_common()
    head = ranked[:top]
    frequencies = {k: c / n for k, c in ranked[:kept]}
    rest = sum(c for _, c in ranked[kept:])
    if rest:
        frequencies[OTHER] = rest / n
    return {"kind": "categorical", "top": [[k, c] for k, c in head], "frequencies": frequencies}


def _column(values: list[Any], bins: int, top: int, sketch_size: int) -> dict[str, Any]:
    present = [v for v in values if not _is_null(v)]
    out: dict[str, Any] = {
        "null_ratio": (len(values) - len(present)) / len(values) if values else 0.0,
        "distinct": len({_hashable(v) for v in present}),
    }
    if present and all(_is_number(v) for v in present):
        out.update(_numeric(present, bins, sketch_size))
    elif present:
        out.update(_categorical(present, top))
    else:
        out["kind"] = "empty"
    return out


def profile(data: Any, *, bins: int = 10, top: int = 10, sketch_size: int = 1000) -> dict[str, Any]:
    """The profile of `data` (records or a DataFrame); see the module docstring."""
    rows = as_records(data)
    names: dict[str, None] = {}
    for r in rows:
        names.update(dict.fromkeys(r))
    columns = {n: _column([r.get(n) for r in rows], bins, top, sketch_size) for n in names}
    return {"row_count": len(rows), "columns": columns}
