"""Dates and schedules as Airflow files spell them: `timezone`, `days_ago`, timetables.

Airflow contexts hand out pendulum DateTimes (`logical_date.add(days=1)`); with the
`legato[airflow]` extra installed, `as_pendulum` converts Legato's datetimes, and without it
plain datetimes are used (Legato-native DAGs never need pendulum). Timetable classes are
translated into the schedules Legato's timetables understand (`to_schedule`).
"""

from __future__ import annotations

import datetime as _dt
from datetime import UTC, timedelta
from types import SimpleNamespace
from typing import Any


def as_pendulum(value: Any) -> Any:
    """A pendulum DateTime for an aware datetime when pendulum is installed; else `value`."""
    if not isinstance(value, _dt.datetime):
        return value
    try:
        import pendulum
    except ImportError:
        return value
    return pendulum.instance(value)


def utcnow() -> Any:
    return as_pendulum(_dt.datetime.now(UTC))


def datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
             microsecond: int = 0, tzinfo: Any = None) -> Any:
    """`airflow.utils.timezone.datetime`: naive arguments are UTC."""
    return as_pendulum(_dt.datetime(year, month, day, hour, minute, second, microsecond,
                                    tzinfo=tzinfo or UTC))


def make_aware(value: _dt.datetime, timezone: Any = None) -> Any:
    return value if value.tzinfo else value.replace(tzinfo=timezone or UTC)


def parse(text: str, timezone: Any = None) -> Any:
    value = _dt.datetime.fromisoformat(text)
    return as_pendulum(make_aware(value, timezone))


def days_ago(n: int, hour: int = 0, minute: int = 0, second: int = 0,
             microsecond: int = 0) -> Any:
    """Airflow 2's `days_ago`: midnight UTC today, minus n days."""
    today = _dt.datetime.now(UTC).replace(hour=hour, minute=minute, second=second,
                                           microsecond=microsecond)
    return as_pendulum(today - timedelta(days=n))


timezone = SimpleNamespace(datetime=datetime, utcnow=utcnow, make_aware=make_aware,
                           parse=parse, utc=UTC, convert_to_utc=lambda d: d.astimezone(UTC),
                           coerce_datetime=lambda d: as_pendulum(make_aware(d)))


class Timetable:
    """Base of the timetables below; `legato_schedule` is what Legato's scheduler runs."""

    legato_schedule: Any = None
    description = ""


class CronDataIntervalTimetable(Timetable):
    def __init__(self, cron: str, timezone: Any = None) -> None:
        self.legato_schedule, self.timezone = cron, timezone
        self.description = cron


class CronTriggerTimetable(CronDataIntervalTimetable):
    def __init__(self, cron: str, *, timezone: Any = None, interval: Any = None,
                 run_immediately: Any = False) -> None:
        super().__init__(cron, timezone)


class MultipleCronTriggerTimetable(Timetable):
    def __init__(self, *crons: str, timezone: Any = None, **_: Any) -> None:
        self.crons, self.legato_schedule = crons, crons[0] if crons else None


class DeltaDataIntervalTimetable(Timetable):
    def __init__(self, delta: timedelta) -> None:
        self.legato_schedule = delta


class DeltaTriggerTimetable(DeltaDataIntervalTimetable):
    def __init__(self, delta: timedelta, **_: Any) -> None:
        super().__init__(delta)


class EventsTimetable(Timetable):
    def __init__(self, event_dates: Any, **_: Any) -> None:
        self.event_dates = list(event_dates)


class AssetOrTimeSchedule(Timetable):
    def __init__(self, *, timetable: Timetable, assets: Any) -> None:
        self.legato_schedule, self.assets = timetable.legato_schedule, assets


DatasetOrTimeSchedule = AssetOrTimeSchedule
