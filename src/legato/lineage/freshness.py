"""Freshness of a dataset against its SLO: `fresh`, `stale` or `unknown`. Pure (takes `now`).

No SLO: `unknown` (nobody promised anything). An SLO and no update yet: `stale` (consumers
have nothing they can rely on). Otherwise fresh while the last update is at most the SLO old.
"""

from __future__ import annotations

from datetime import datetime

FRESH, STALE, UNKNOWN = "fresh", "stale", "unknown"
STATES = (FRESH, STALE, UNKNOWN)


def freshness_state(slo_s: float | None, last_update: datetime | None, now: datetime) -> str:
    if slo_s is None:
        return UNKNOWN
    if last_update is None:
        return STALE
    return FRESH if (now - last_update).total_seconds() <= slo_s else STALE
