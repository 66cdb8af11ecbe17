"""Timetables: which data intervals a schedule has, and which runs are due now. Pure.

Airflow semantics: the run for the interval [a, b) has logical date `a` and becomes due at `b`.
Cron strings and presets are evaluated in wall-clock time of a zoneinfo timezone, so that
"0 2 * * *" in Europe/Amsterdam fires at 02:00 local all year round; every result is UTC.

Daylight-saving rules (local wall-clock fire times that do not map to exactly one instant):

* a nonexistent local time (inside a spring-forward gap) fires once, at the end of the gap;
  several fire times inside one gap collapse into that single instant;
* an ambiguous local time (inside a fall-back fold) fires once, at its second occurrence
  (Airflow's `fold=1`: pendulum's post-transition rule), unless the expression fires every
  hour: then it fires at both occurrences, so an hourly schedule has 25 intervals on a
  fall-back day (and 23 on a spring-forward day).

Where Airflow and croniter disagree, Airflow is followed: "@quarterly" is a preset; a
`timedelta` schedule with catchup=False starts its latest interval on the epoch grid of the
delta (as Airflow's DeltaDataIntervalTimetable), not on start_date's; a manual run of an Airflow
DAG gets the interval Airflow gives it (see `data_interval`).

Nothing here reads a clock: `now` is always an argument.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "PRESETS",
    "DueRun",
    "ScheduleError",
    "dag_timezone",
    "data_interval",
    "infer_manual_data_interval",
    "next_fire",
    "due_runs",
    "intervals_between",
    "is_event_schedule",
    "next_due_at",
    "validate_schedule",
]

ONCE = "@once"
PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
# Wall-clock slack around a UTC window when enumerating local fire times: larger than any
# real-world UTC offset change at a single transition.
_MARGIN = timedelta(hours=3)
# Give up looking for the next/previous fire time after this span (an expression such as
# "0 0 30 2 *" never fires).
_SEARCH_LIMIT = timedelta(days=366 * 30)
_FIRST_WINDOW = timedelta(hours=2)


@dataclass(frozen=True)
class DueRun:
    """One run: its logical date and the data interval [start, end) it covers (all UTC)."""

    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime


class ScheduleError(ValueError):
    """An invalid schedule: a bad cron expression, a bad timezone or an unsupported type."""


# -- validation -----------------------------------------------------------------------------


def is_event_schedule(schedule: Any) -> bool:
    """A list of Datasets or an events.* trigger: runs come from events, never from a clock,
    so every time calculation here treats the DAG as unscheduled."""
    return isinstance(schedule, list | tuple) or bool(getattr(schedule, "is_event_trigger", False))


def _validate_datasets(schedule: list[Any] | tuple[Any, ...]) -> None:
    """A Dataset is recognised by its `is_dataset` mark (as a trigger by `is_event_trigger`):
    schedules sit below authoring and never import it."""
    if not schedule:
        raise ScheduleError("a dataset schedule needs at least one Dataset (an empty list never runs)")
    for i, item in enumerate(schedule):
        if getattr(type(item), "is_dataset", False) is not True:
            raise ScheduleError(f"schedule list item {i} is {item!r} ({type(item).__name__}): a "
                                "schedule list may only hold Dataset(...) objects")


def validate_schedule(schedule: Any) -> None:
    """Raise ScheduleError unless `schedule` is None, "@once", a preset, a cron string, a
    positive timedelta, a non-empty list of Datasets or an events.* trigger."""
    if schedule is None or getattr(schedule, "is_event_trigger", False):
        return
    if isinstance(schedule, list | tuple):
        _validate_datasets(schedule)
        return
    if isinstance(schedule, timedelta):
        if schedule <= timedelta(0):
            raise ScheduleError(f"schedule timedelta must be positive, got {schedule!r}")
        return
    if isinstance(schedule, str):
        if schedule == ONCE or schedule in PRESETS:
            return
        if schedule.startswith("@"):
            known = ", ".join([ONCE, *PRESETS])
            raise ScheduleError(f"unknown schedule preset {schedule!r} (known: {known})")
        from croniter import croniter

        if not schedule.strip() or not croniter.is_valid(schedule):
            raise ScheduleError(f"invalid cron expression {schedule!r}")
        return
    raise ScheduleError(
        f"unsupported schedule {schedule!r} of type {type(schedule).__name__}: "
        "expected None, a preset or cron string, a timedelta, a list of Datasets or an "
        "events.* trigger (events.FileArrival, events.Webhook, events.Queue)"
    )


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ScheduleError(f"unknown timezone {tz!r}") from exc


def _utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC (as DAG dates are); aware ones are converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# -- fire times -----------------------------------------------------------------------------


class _Fires:
    """The ordered fire instants of a schedule: `fires_in(lo, hi)` is the half-open window."""

    def fires_in(self, lo: datetime, hi: datetime) -> list[datetime]:
        raise NotImplementedError

    def iter_from(self, start: datetime) -> Iterator[datetime]:
        """Fire instants >= start, ascending; stops if none is found within the search limit."""
        cur, window, empty = start, _FIRST_WINDOW, timedelta(0)
        while empty <= _SEARCH_LIMIT:
            hi = cur + window
            found = self.fires_in(cur, hi)
            if found:
                yield from found
                empty = timedelta(0)
            else:
                empty += window
                window *= 2
            cur = hi

    def at_or_after(self, t: datetime) -> datetime | None:
        return next(self.iter_from(t), None)

    def after(self, t: datetime) -> datetime | None:
        return next((f for f in self.iter_from(t) if f > t), None)

    def before(self, t: datetime) -> datetime | None:
        """The last fire instant strictly before t."""
        window = _FIRST_WINDOW
        while True:
            found = self.fires_in(t - window, t)
            if found:
                return found[-1]
            if window > _SEARCH_LIMIT:
                return None
            window *= 2

    def at_or_before(self, t: datetime) -> datetime | None:
        return self.before(t + timedelta(microseconds=1))


class _DeltaFires(_Fires):
    """anchor, anchor + delta, anchor + 2 * delta, ... (nothing before the anchor)."""

    def __init__(self, delta: timedelta, anchor: datetime) -> None:
        self.delta, self.anchor = delta, anchor

    def _first_index_at_or_after(self, t: datetime) -> int:
        if t <= self.anchor:
            return 0
        return -((self.anchor - t) // self.delta)  # ceil((t - anchor) / delta)

    def fires_in(self, lo: datetime, hi: datetime) -> list[datetime]:
        k = self._first_index_at_or_after(lo)
        out = []
        while (f := self.anchor + k * self.delta) < hi:
            out.append(f)
            k += 1
        return out

    def iter_from(self, start: datetime) -> Iterator[datetime]:
        k = self._first_index_at_or_after(start)
        while True:
            yield self.anchor + k * self.delta
            k += 1

    def before(self, t: datetime) -> datetime | None:
        k = self._first_index_at_or_after(t) - 1
        return self.anchor + k * self.delta if k >= 0 else None


class _CronFires(_Fires):
    """Cron fire times evaluated in local wall-clock time of `zone`, as UTC instants."""

    def __init__(self, expr: str, zone: ZoneInfo) -> None:
        from croniter import croniter

        self.expr, self.zone = expr, zone
        hours: list[Any] = croniter(expr).expanded[1]    # ints, or ["*"] (the stubs say str)
        self.every_hour = hours == ["*"] or set(hours) == set(range(24))

    def _local(self, t: datetime) -> datetime:
        return t.astimezone(self.zone).replace(tzinfo=None)

    def _instants(self, wall: datetime) -> list[datetime]:
        """The UTC instants at which the naive local time `wall` fires."""
        first = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        second = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        if first == second:
            return [first]
        if self._local(first) != wall:  # in a gap: fire when the gap ends
            return [self._gap_end(second, first)]
        return [first, second] if self.every_hour else [second]  # in a fold: fold=1

    def _gap_end(self, lo: datetime, hi: datetime) -> datetime:
        """The transition instant in (lo, hi]: the first instant with hi's UTC offset."""
        target = hi.astimezone(self.zone).utcoffset()
        lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
        while hi_s - lo_s > 1:
            mid = (lo_s + hi_s) // 2
            if datetime.fromtimestamp(mid, self.zone).utcoffset() == target:
                hi_s = mid
            else:
                lo_s = mid
        return datetime.fromtimestamp(hi_s, UTC)

    def fires_in(self, lo: datetime, hi: datetime) -> list[datetime]:
        from croniter import CroniterBadDateError, croniter

        ends = (self._local(lo), self._local(hi))
        wall_lo, wall_hi = min(ends) - _MARGIN, max(ends) + _MARGIN
        it = croniter(self.expr, wall_lo - timedelta(seconds=1))
        found: set[datetime] = set()
        while True:
            try:
                wall = it.get_next(datetime)
            except CroniterBadDateError:  # the expression never fires again
                break
            if wall > wall_hi:
                break
            found.update(u for u in self._instants(wall) if lo <= u < hi)
        return sorted(found)


def _fires(schedule: Any, tz: str, anchor: datetime) -> _Fires | None:
    """Fire times for a validated, recurring schedule (None for None and "@once")."""
    validate_schedule(schedule)
    if schedule is None or schedule == ONCE or is_event_schedule(schedule):
        return None
    if isinstance(schedule, timedelta):
        return _DeltaFires(schedule, anchor)
    return _CronFires(PRESETS.get(schedule, schedule), _zone(tz))


def _run(a: datetime, b: datetime) -> DueRun:
    return DueRun(logical_date=a, data_interval_start=a, data_interval_end=b)


# -- public API -----------------------------------------------------------------------------


def dag_timezone(start_date: datetime | None) -> str:
    """The zone a DAG's cron is read in: its start_date's ZoneInfo key, else UTC."""
    return getattr(getattr(start_date, "tzinfo", None), "key", "UTC")


def next_fire(schedule: Any, after: datetime, tz: str = "UTC") -> datetime | None:
    """The first fire time strictly after `after` (UTC), or None for unscheduled and "@once"."""
    fires = _fires(schedule, tz, _utc(after))
    return None if fires is None else fires.after(_utc(after))


def data_interval(schedule: Any, logical_date: datetime, tz: str = "UTC") -> tuple[datetime, datetime]:
    """The span a run at `logical_date` covers: up to the schedule's next fire time (so the
    `@daily` run of 2023-01-01 covers that day, 23 or 25 hours on a DST day); an
    unscheduled or "@once" run covers the instant of its logical date.

    An Airflow DAG's schedule says how Airflow would infer it (`manual_interval`): "trigger"
    (Airflow 3's default CronTriggerTimetable / DeltaTriggerTimetable: the instant of the
    logical date) or "data" (CronDataIntervalTimetable: `infer_manual_data_interval`)."""
    mode = getattr(schedule, "manual_interval", None)
    if mode == "trigger":
        return logical_date, logical_date
    if mode == "data":
        return infer_manual_data_interval(schedule, logical_date, tz)
    end = next_fire(schedule, logical_date, tz)
    return logical_date, end if end is not None else logical_date


def infer_manual_data_interval(schedule: Any, run_after: datetime,
                               tz: str = "UTC") -> tuple[datetime, datetime]:
    """Airflow's interval for a manual run at `run_after`: the last complete interval ending
    at or before it (a cron ending on a fire time: [previous fire, run_after]; a timedelta:
    [run_after - delta, run_after]); unscheduled: the instant itself."""
    run_after = _utc(run_after)
    if isinstance(schedule, timedelta):
        validate_schedule(schedule)
        return run_after - schedule, run_after
    fires = _fires(schedule, tz, run_after)
    if fires is None:
        return run_after, run_after
    end = fires.at_or_before(run_after)
    start = None if end is None else fires.before(end)
    if end is None or start is None:
        return run_after, run_after
    return start, end


def intervals_between(schedule: Any, start: datetime, end: datetime, tz: str = "UTC") -> list[DueRun]:
    """Every complete data interval [a, b) of `schedule` with start <= a and b <= end.

    timedelta schedules step from `start`; "@once" is a single run at `start` (if start <= end).
    """
    start, end = _utc(start), _utc(end)
    if schedule == ONCE:
        validate_schedule(schedule)
        return [_run(start, start)] if start <= end else []
    fires = _fires(schedule, tz, start)
    if fires is None or end <= start:
        return []
    times = fires.fires_in(start, end + timedelta(microseconds=1))
    return [_run(a, b) for a, b in itertools.pairwise(times)]


def _first_start(fires: _Fires, start_date: datetime, last_logical_date: datetime | None) -> datetime | None:
    """Where the next interval starts: aligned to start_date, after last_logical_date."""
    first = fires.at_or_after(start_date)
    if last_logical_date is None or first is None:
        return first
    following = fires.after(last_logical_date)
    return None if following is None else max(first, following)


def due_runs(
    schedule: Any,
    *,
    start_date: datetime | None,
    end_date: datetime | None,
    catchup: bool,
    last_logical_date: datetime | None,
    now: datetime,
    tz: str = "UTC",
    limit: int = 1000,
) -> list[DueRun]:
    """The runs a scheduler should create at `now`, oldest first.

    Intervals start at the schedule's first fire time at/after start_date, or after
    last_logical_date when there is one; only intervals that ended by `now` are due, and none
    starting after end_date. With catchup=False only the latest such interval is returned.
    At most `limit` runs (the oldest) are returned; the rest follow on the next call.
    """
    validate_schedule(schedule)
    if schedule is None or start_date is None or limit <= 0 or is_event_schedule(schedule):
        return []
    start_date, now = _utc(start_date), _utc(now)
    end_date = None if end_date is None else _utc(end_date)
    last = None if last_logical_date is None else _utc(last_logical_date)
    if schedule == ONCE:
        if last is None and start_date <= now and (end_date is None or start_date <= end_date):
            return [_run(start_date, start_date)]
        return []
    fires = _fires(schedule, tz, start_date)
    assert fires is not None
    first = _first_start(fires, start_date, last)
    if first is None:
        return []
    if not catchup:
        if isinstance(schedule, timedelta):
            return _latest_delta(schedule, start_date, end_date, last, now)
        return _latest(fires, first, end_date, now)
    runs: list[DueRun] = []
    it = fires.iter_from(first)
    a = next(it, None)
    for b in it:
        if a is None or b > now or (end_date is not None and a > end_date) or len(runs) >= limit:
            break
        runs.append(_run(a, b))
        a = b
    return runs


def _latest(fires: _Fires, first: datetime, end_date: datetime | None, now: datetime) -> list[DueRun]:
    """The latest complete interval [a, b) with a >= first, b <= now and a <= end_date."""
    b = fires.at_or_before(now)
    a = None if b is None else fires.before(b)
    if a is not None and end_date is not None and a > end_date:
        a = fires.at_or_before(end_date)
        b = None if a is None else fires.after(a)
    if a is None or b is None or a < first or b > now:
        return []
    return [_run(a, b)]


def _latest_delta(delta: timedelta, start_date: datetime, end_date: datetime | None,
                  last: datetime | None, now: datetime) -> list[DueRun]:
    """catchup=False for a timedelta: Airflow's interval on the epoch grid of the delta that
    ended last before `now` (never before start_date, never re-running `last`)."""
    a = max(_epoch_floor(now, delta) - delta, start_date)
    if last is not None:
        a = max(a, last + delta)
    b = a + delta
    if b > now or (end_date is not None and a > end_date):
        return []
    return [_run(a, b)]


def _epoch_floor(t: datetime, delta: timedelta) -> datetime:
    step = delta.total_seconds()
    ts = t.timestamp()
    return datetime.fromtimestamp(ts - ts % step, UTC)


def next_due_at(
    schedule: Any,
    *,
    start_date: datetime | None,
    last_logical_date: datetime | None,
    tz: str = "UTC",
    end_date: datetime | None = None,
) -> datetime | None:
    """When the next run becomes due (the end of the next interval), in UTC; None if never."""
    validate_schedule(schedule)
    if schedule is None or start_date is None or is_event_schedule(schedule):
        return None
    start_date = _utc(start_date)
    end_date = None if end_date is None else _utc(end_date)
    if schedule == ONCE:
        if last_logical_date is None and (end_date is None or start_date <= end_date):
            return start_date
        return None
    last = None if last_logical_date is None else _utc(last_logical_date)
    fires = _fires(schedule, tz, start_date)
    assert fires is not None
    a = _first_start(fires, start_date, last)
    if a is None or (end_date is not None and a > end_date):
        return None
    return fires.after(a)
