"""Data intervals: for a run at `logical_date`, the span of data it covers. Pure.

A scheduled DAG's interval runs from the logical date to the schedule's next fire time (the
Airflow convention: the `@daily` run for 2023-01-01 covers that day). An unscheduled DAG's
interval is the instant of its logical date.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


def next_fire(schedule: Any, after: datetime) -> datetime | None:
    """The first fire time strictly after `after`, or None for unscheduled DAGs."""
    if isinstance(schedule, timedelta):
        return after + schedule
    if not isinstance(schedule, str) or schedule in ("@once", "@continuous"):
        return None
    from croniter import croniter

    expr = PRESETS.get(schedule, schedule)
    return croniter(expr, after).get_next(datetime)


def data_interval(schedule: Any, logical_date: datetime) -> tuple[datetime, datetime]:
    end = next_fire(schedule, logical_date)
    return logical_date, end if end is not None else logical_date
