"""`profile(data)`: what a dataset looks like, as plain JSON-able data.

For a list of dicts or a pandas DataFrame: the row count and, per column, the null ratio,
the distinct count, and either a numeric summary (min, max, mean, std, quantiles, an
equal-width histogram, decile edges with their fractions, and a sketch of up to 1,000 evenly
spaced order statistics that the KS statistic is computed from) or the top categories. A
stored profile is all drift needs: the reference's data is never kept.

A column whose values are not a distribution but a position gets `auto_exclude`, the reason
the drift gate leaves it out by default (`exclusion`): identifiers and time stamps take new
values every day, so identical data would always look drifted on them. The rules (the last
two need at least MIN_ROWS values):

- the name says identifier (`id`, `uuid`, `guid`, `*_id`, `*_uuid`, `*_guid`, `orderId`) and
  most values are distinct (a key like `vendor_id` with a few vendors is data: its mix can drift);
- the name says time stamp and the values are numbers: `ts`, `timestamp`, `epoch`, `*_at`, `*_ts`;
- dates and times: every value is a date/time object or an ISO-8601 date(-time) string;
- strings that are all distinct (order numbers, e-mails, UUIDs);
- integers that are all distinct and either strictly rising/falling in record order or dense
  (spanning at most twice as many values as there are rows): sequences and counters.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
from collections import Counter
from typing import Any

from ..errors import InvalidInput
from . import stats

QUANTILES = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)
DECILES = tuple(i / 10 for i in range(1, 10))
OTHER = "__other__"
MIN_ROWS = 20
_ID_SNAKE = re.compile(r"(^|_)(id|uuid|guid)$", re.IGNORECASE)
_ID_CAMEL = re.compile(r"[a-z0-9](Id|ID|Uuid|UUID|Guid|GUID)$")
_TIME_NAME = re.compile(r"^(ts|timestamp|epoch)$|_(at|ts)$", re.IGNORECASE)
_ISO_TIME = re.compile(r"\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?")


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
        raise InvalidInput("a number is too large to profile") from None
    if not all(math.isfinite(v) for v in values):
        raise InvalidInput("cannot profile infinite numbers")
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


def _is_time(v: Any) -> bool:
    if isinstance(v, (dt.date, dt.time)):
        return True
    return isinstance(v, str) and _ISO_TIME.fullmatch(v) is not None


def _is_sequence(present: list[Any]) -> bool:
    if not all(_is_number(v) and float(v).is_integer() for v in present):
        return False
    ints = [int(v) for v in present]
    if len(set(ints)) != len(ints):
        return False
    pairs = list(itertools.pairwise(ints))
    monotonic = all(a < b for a, b in pairs) or all(a > b for a, b in pairs)
    return monotonic or max(ints) - min(ints) + 1 <= 2 * len(ints)


def exclusion(name: str, values: list[Any]) -> str | None:
    """Why the drift gate leaves this column out by default (module docstring), or None."""
    present = [v for v in values if not _is_null(v)]
    if not present:
        return None
    if (_ID_SNAKE.search(name) or _ID_CAMEL.search(name)) and (
            len(present) < MIN_ROWS or len({_hashable(v) for v in present}) > len(present) / 2):
        return "identifier (by its name; mostly distinct values)"
    if _TIME_NAME.search(name) and all(_is_number(v) for v in present):
        return "time stamp (by its name)"
    if _is_time(present[0]) and all(_is_time(v) for v in present):
        return "dates or times"
    if len(present) < MIN_ROWS:
        return None
    if all(isinstance(v, str) for v in present) and len({*present}) == len(present):
        return "identifier-like (every value is distinct)"
    if _is_sequence(present):
        return "a sequence (distinct integers, ordered or dense)"
    return None


def profile(data: Any, *, bins: int = 10, top: int = 10, sketch_size: int = 1000) -> dict[str, Any]:
    """The profile of `data` (records or a DataFrame); see the module docstring."""
    rows = as_records(data)
    names: dict[str, None] = {}
    for r in rows:
        names.update(dict.fromkeys(r))
    columns = {}
    for n in names:
        values = [r.get(n) for r in rows]
        columns[n] = _column(values, bins, top, sketch_size)
        reason = exclusion(n, values)
        if reason is not None:
            columns[n]["auto_exclude"] = reason
    return {"row_count": len(rows), "columns": columns}
