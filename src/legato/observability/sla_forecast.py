"""Predicting, from a DAG's history of successful runs, when a running run will end, and so
whether it will miss its SLA before it does. Pure: durations and times in, a forecast out.

The estimate is conditional on what we already know: a run that has been going for `elapsed`
seconds will take as long as the runs that lasted at least that long. So the predicted total
is the `quantile` (0.9 by default: pessimistic on purpose, a warning should come early) of the
past durations longer than `elapsed`. When the run has already outlasted every past run, the
history says nothing about its end: it is predicted to need the history's tail again (the
quantile minus the median, at least a tenth of the median) from now. Fewer than
`min_history` past runs give no forecast at all.

Why whole-run durations rather than per-task durations along the remaining critical path:
they need only the dag_runs rows, they include the queueing and scheduling delays a task
sum would miss, and they are robust to DAG edits that rename tasks. The cost is coarseness
early in a run whose duration varies a lot; the conditional quantile narrows as it goes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

QUANTILE = 0.9
MIN_HISTORY = 3
HISTORY_RUNS = 20


@dataclass(frozen=True)
class Forecast:
    predicted_end: datetime
    basis: int                 # how many past runs the prediction rests on
    outlier: bool              # the run has already outlasted every past run


def quantile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on unsorted input."""
    if not values:
        raise ValueError("quantile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile {q} is not between 0 and 1")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def predict_end(history_s: Sequence[float], started_at: datetime, now: datetime, *,
                q: float = QUANTILE, min_history: int = MIN_HISTORY) -> Forecast | None:
    """When a run started at `started_at` is expected to end, seen at `now`; None when the
    history is too short to say. `history_s`: durations in seconds of past successful runs."""
    history = [d for d in history_s if d >= 0 and math.isfinite(d)]
    if len(history) < min_history:
        return None
    elapsed = max(0.0, (now - started_at).total_seconds())
    longer = [d for d in history if d > elapsed]
    if longer:
        return Forecast(started_at + timedelta(seconds=quantile(longer, q)), len(longer), False)
    median = quantile(history, 0.5)
    tail = max(quantile(history, q) - median, median / 10)
    return Forecast(now + timedelta(seconds=tail), len(history), True)


def at_risk(history_s: Sequence[float], started_at: datetime, deadline: datetime,
            now: datetime, *, q: float = QUANTILE,
            min_history: int = MIN_HISTORY) -> Forecast | None:
    """The forecast if it ends after `deadline` while the deadline is still ahead, else None
    (a deadline already passed is an SLA miss, reported by the scheduler, not a risk)."""
    if now >= deadline:
        return None
    forecast = predict_end(history_s, started_at, now, q=q, min_history=min_history)
    if forecast is None or forecast.predicted_end <= deadline:
        return None
    return forecast
