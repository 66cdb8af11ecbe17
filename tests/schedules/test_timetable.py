"""Timetable: intervals, due runs and DST handling. Expected UTC instants are computed by hand
(Europe/Amsterdam: CET = UTC+1, CEST = UTC+2; 2024 DST starts 2024-03-31 01:00 UTC and ends
2024-10-27 01:00 UTC)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from legato.schedules.timetable import (
    DueRun,
    ScheduleError,
    data_interval,
    due_runs,
    infer_manual_data_interval,
    intervals_between,
    next_due_at,
    next_fire,
    validate_schedule,
)

AMS = "Europe/Amsterdam"


def u(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def starts(runs: list[DueRun]) -> list[datetime]:
    return [r.logical_date for r in runs]


def pairs(runs: list[DueRun]) -> list[tuple[datetime, datetime]]:
    return [(r.data_interval_start, r.data_interval_end) for r in runs]


# -- intervals_between ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schedule, start, end, expected",
    [
        (
            "@daily",
            u(2024, 1, 1),
            u(2024, 1, 4),
            [(u(2024, 1, 1), u(2024, 1, 2)), (u(2024, 1, 2), u(2024, 1, 3)), (u(2024, 1, 3), u(2024, 1, 4))],
        ),
        # start is not aligned: the first interval starts at the first fire time after it
        (
            "@daily",
            u(2024, 1, 1, 5),
            u(2024, 1, 4),
            [(u(2024, 1, 2), u(2024, 1, 3)), (u(2024, 1, 3), u(2024, 1, 4))],
        ),
        (
            "@hourly",
            u(2024, 1, 1, 22),
            u(2024, 1, 2, 1),
            [
                (u(2024, 1, 1, 22), u(2024, 1, 1, 23)),
                (u(2024, 1, 1, 23), u(2024, 1, 2, 0)),
                (u(2024, 1, 2, 0), u(2024, 1, 2, 1)),
            ],
        ),
        # 2024-01-07 and 2024-01-14 are Sundays
        (
            "@weekly",
            u(2024, 1, 2),
            u(2024, 1, 22),
            [(u(2024, 1, 7), u(2024, 1, 14)), (u(2024, 1, 14), u(2024, 1, 21))],
        ),
        (
            "@monthly",
            u(2024, 1, 1),
            u(2024, 4, 15),
            [(u(2024, 1, 1), u(2024, 2, 1)), (u(2024, 2, 1), u(2024, 3, 1)), (u(2024, 3, 1), u(2024, 4, 1))],
        ),
        (
            "@yearly",
            u(2023, 6, 1),
            u(2026, 1, 1),
            [(u(2024, 1, 1), u(2025, 1, 1)), (u(2025, 1, 1), u(2026, 1, 1))],
        ),
        (
            "*/15 9 * * 1",
            u(2024, 1, 1, 9),
            u(2024, 1, 1, 9, 50),
            [
                (u(2024, 1, 1, 9), u(2024, 1, 1, 9, 15)),
                (u(2024, 1, 1, 9, 15), u(2024, 1, 1, 9, 30)),
                (u(2024, 1, 1, 9, 30), u(2024, 1, 1, 9, 45)),
            ],
        ),
        # after 09:45 on Monday the next fire is 09:00 the following Monday
        (
            "*/15 9 * * 1",
            u(2024, 1, 1, 9, 45),
            u(2024, 1, 8, 9, 0),
            [(u(2024, 1, 1, 9, 45), u(2024, 1, 8, 9))],
        ),
        (
            timedelta(hours=5),
            u(2024, 1, 1, 1),
            u(2024, 1, 1, 17),
            [
                (u(2024, 1, 1, 1), u(2024, 1, 1, 6)),
                (u(2024, 1, 1, 6), u(2024, 1, 1, 11)),
                (u(2024, 1, 1, 11), u(2024, 1, 1, 16)),
            ],
        ),
        (None, u(2024, 1, 1), u(2024, 2, 1), []),
        ("@once", u(2024, 1, 1, 3), u(2024, 2, 1), [(u(2024, 1, 1, 3), u(2024, 1, 1, 3))]),
        ("@once", u(2024, 3, 1), u(2024, 2, 1), []),
        ("@daily", u(2024, 1, 1), u(2024, 1, 1, 23), []),
    ],
)
def test_intervals_between(schedule, start, end, expected):
    runs = intervals_between(schedule, start, end)
    assert pairs(runs) == expected
    assert all(r.logical_date == r.data_interval_start for r in runs)


def test_intervals_are_utc_normalized():
    start = datetime(2024, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))  # 2024-01-01 00:00 UTC
    runs = intervals_between("@daily", start, u(2024, 1, 3))
    assert pairs(runs) == [(u(2024, 1, 1), u(2024, 1, 2)), (u(2024, 1, 2), u(2024, 1, 3))]
    assert all(r.logical_date.utcoffset() == timedelta(0) for r in runs)
    assert all(r.logical_date.tzinfo is UTC for r in runs)


def test_cron_in_a_timezone_without_dst_change():
    # 08:00 in Asia/Tokyo (UTC+9, no DST) is 23:00 UTC the day before
    runs = intervals_between("0 8 * * *", u(2024, 1, 1), u(2024, 1, 3), tz="Asia/Tokyo")
    assert pairs(runs) == [(u(2024, 1, 1, 23), u(2024, 1, 2, 23))]


# -- DST ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, end, expected_fires",
    [
        # spring forward on 2024-03-31: 02:00 local does not exist; fires once at 03:00 CEST
        (
            u(2024, 3, 29),
            u(2024, 4, 2, 12),
            [
                u(2024, 3, 29, 1),  # 02:00 CET
                u(2024, 3, 30, 1),  # 02:00 CET
                u(2024, 3, 31, 1),  # 02:00 missing -> 03:00 CEST == 01:00 UTC
                u(2024, 4, 1, 0),  # 02:00 CEST
                u(2024, 4, 2, 0),  # 02:00 CEST
            ],
        ),
        # fall back on 2024-10-27: 02:00 local happens twice; fires once, at the second (CET),
        # as Airflow does (fold=1)
        (
            u(2024, 10, 25),
            u(2024, 10, 29, 12),
            [
                u(2024, 10, 25, 0),  # 02:00 CEST
                u(2024, 10, 26, 0),  # 02:00 CEST
                u(2024, 10, 27, 1),  # 02:00 CET (second of the two 02:00s: fold=1)
                u(2024, 10, 28, 1),  # 02:00 CET
                u(2024, 10, 29, 1),  # 02:00 CET
            ],
        ),
    ],
)
def test_daily_cron_across_dst_fires_once_per_local_day(start, end, expected_fires):
    runs = intervals_between("0 2 * * *", start, end, tz=AMS)
    assert pairs(runs) == list(itertools.pairwise(expected_fires))


def test_nonexistent_local_time_fires_once_at_next_valid_instant():
    runs = intervals_between("30 2 * * *", u(2024, 3, 30), u(2024, 4, 1, 12), tz=AMS)
    assert starts(runs) == [u(2024, 3, 30, 1, 30), u(2024, 3, 31, 1)]  # 02:30 CET, then 03:00 CEST
    assert runs[-1].data_interval_end == u(2024, 4, 1, 0, 30)  # 02:30 CEST


def test_several_fire_times_in_one_gap_collapse_into_one():
    runs = intervals_between("*/20 2 * * *", u(2024, 3, 30, 12), u(2024, 4, 1, 12), tz=AMS)
    assert starts(runs) == [
        u(2024, 3, 31, 1),  # 02:00, 02:20, 02:40 local are all missing -> 03:00 CEST once
        u(2024, 4, 1, 0),
        u(2024, 4, 1, 0, 20),  # 02:00, 02:20 CEST
    ]


@pytest.mark.parametrize(
    "local_day_start, local_day_end, count",
    [
        (u(2024, 10, 26, 22), u(2024, 10, 27, 23), 25),  # 2024-10-27 00:00 CEST .. 2024-10-28 00:00 CET
        (u(2024, 3, 30, 23), u(2024, 3, 31, 22), 23),  # 2024-03-31 00:00 CET .. 2024-04-01 00:00 CEST
        (u(2024, 6, 1, 22), u(2024, 6, 2, 22), 24),  # an ordinary summer day
    ],
)
def test_hourly_across_dst_changes(local_day_start, local_day_end, count):
    runs = intervals_between("@hourly", local_day_start, local_day_end, tz=AMS)
    assert len(runs) == count
    assert runs[0].data_interval_start == local_day_start
    assert runs[-1].data_interval_end == local_day_end
    # contiguous, strictly increasing, and each exactly one real hour long
    assert all(a.data_interval_end == b.data_interval_start for a, b in itertools.pairwise(runs))
    assert all(r.data_interval_end - r.data_interval_start == timedelta(hours=1) for r in runs)


# -- due_runs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schedule, kwargs, expected",
    [
        # catchup: every missed interval, in order
        (
            "@daily",
            dict(catchup=True, last_logical_date=None, now=u(2024, 1, 4, 6)),
            [u(2024, 1, 1), u(2024, 1, 2), u(2024, 1, 3)],
        ),
        # no catchup: only the latest complete interval
        ("@daily", dict(catchup=False, last_logical_date=None, now=u(2024, 1, 4, 6)), [u(2024, 1, 3)]),
        # idempotence: nothing new once the latest interval was created
        ("@daily", dict(catchup=True, last_logical_date=u(2024, 1, 3), now=u(2024, 1, 4, 6)), []),
        ("@daily", dict(catchup=False, last_logical_date=u(2024, 1, 3), now=u(2024, 1, 4, 6)), []),
        # resumes after last_logical_date
        (
            "@daily",
            dict(catchup=True, last_logical_date=u(2024, 1, 1), now=u(2024, 1, 4, 6)),
            [u(2024, 1, 2), u(2024, 1, 3)],
        ),
        (
            "@daily",
            dict(catchup=False, last_logical_date=u(2024, 1, 1), now=u(2024, 1, 4, 6)),
            [u(2024, 1, 3)],
        ),
        # an interval is due exactly at its end, not before
        ("@daily", dict(catchup=True, last_logical_date=None, now=u(2024, 1, 2)), [u(2024, 1, 1)]),
        ("@daily", dict(catchup=True, last_logical_date=None, now=u(2024, 1, 1, 23, 59)), []),
        ("@daily", dict(catchup=False, last_logical_date=None, now=u(2024, 1, 1, 23, 59)), []),
        # before start_date nothing is due
        ("@daily", dict(catchup=True, last_logical_date=None, now=u(2023, 12, 1)), []),
        ("@daily", dict(catchup=False, last_logical_date=None, now=u(2023, 12, 1)), []),
        # end_date: no interval starting after it (the one starting on it still runs)
        (
            "@daily",
            dict(catchup=True, last_logical_date=None, now=u(2024, 2, 1), end_date=u(2024, 1, 3)),
            [u(2024, 1, 1), u(2024, 1, 2), u(2024, 1, 3)],
        ),
        (
            "@daily",
            dict(catchup=False, last_logical_date=None, now=u(2024, 2, 1), end_date=u(2024, 1, 3)),
            [u(2024, 1, 3)],
        ),
        (
            "@daily",
            dict(catchup=False, last_logical_date=None, now=u(2024, 2, 1), end_date=u(2024, 1, 2, 12)),
            [u(2024, 1, 2)],
        ),
        (
            "@daily",
            dict(catchup=True, last_logical_date=u(2024, 1, 3), now=u(2024, 2, 1), end_date=u(2024, 1, 3)),
            [],
        ),
        # limit: the oldest first
        (
            "@hourly",
            dict(catchup=True, last_logical_date=None, now=u(2024, 1, 2), limit=2),
            [u(2024, 1, 1, 0), u(2024, 1, 1, 1)],
        ),
        # timedelta steps from start_date
        (
            timedelta(hours=8),
            dict(catchup=True, last_logical_date=None, now=u(2024, 1, 2, 3)),
            [u(2024, 1, 1), u(2024, 1, 1, 8), u(2024, 1, 1, 16)],
        ),
        (
            timedelta(hours=8),
            dict(catchup=False, last_logical_date=None, now=u(2024, 1, 3)),
            [u(2024, 1, 2, 16)],
        ),
        (
            timedelta(hours=8),
            dict(catchup=True, last_logical_date=u(2024, 1, 1, 16), now=u(2024, 1, 2, 3)),
            [],
        ),
        (
            "0 6 * * *",
            dict(catchup=True, last_logical_date=None, now=u(2024, 1, 3, 7)),
            [u(2024, 1, 1, 6), u(2024, 1, 2, 6)],
        ),
        (None, dict(catchup=True, last_logical_date=None, now=u(2030, 1, 1)), []),
        # @once: a single run at start_date
        ("@once", dict(catchup=False, last_logical_date=None, now=u(2024, 1, 1)), [u(2024, 1, 1)]),
        ("@once", dict(catchup=True, last_logical_date=None, now=u(2023, 12, 31)), []),
        ("@once", dict(catchup=True, last_logical_date=u(2024, 1, 1), now=u(2025, 1, 1)), []),
    ],
)
def test_due_runs(schedule, kwargs, expected):
    kwargs = {"start_date": u(2024, 1, 1), "end_date": None, **kwargs}
    runs = due_runs(schedule, **kwargs)
    assert starts(runs) == expected
    assert all(r.data_interval_start == r.logical_date for r in runs)


def test_due_runs_intervals_and_unaligned_start_date():
    runs = due_runs(
        "@daily",
        start_date=u(2024, 1, 1, 12),
        end_date=None,
        catchup=True,
        last_logical_date=None,
        now=u(2024, 1, 4),
    )
    assert pairs(runs) == [(u(2024, 1, 2), u(2024, 1, 3)), (u(2024, 1, 3), u(2024, 1, 4))]
    once = due_runs(
        "@once",
        start_date=u(2024, 1, 1, 12),
        end_date=None,
        catchup=True,
        last_logical_date=None,
        now=u(2024, 1, 4),
    )
    assert once == [DueRun(u(2024, 1, 1, 12), u(2024, 1, 1, 12), u(2024, 1, 1, 12))]


def test_due_runs_feeding_back_last_logical_date_creates_each_interval_once():
    created: list[datetime] = []
    last = None
    for hour in range(0, 80, 7):  # a scheduler waking up at irregular times
        now = u(2024, 1, 1) + timedelta(hours=hour)
        runs = due_runs(
            "@daily", start_date=u(2024, 1, 1), end_date=None, catchup=True, last_logical_date=last, now=now
        )
        created += starts(runs)
        if runs:
            last = runs[-1].logical_date
    # wake-ups at 0h, 7h, ..., 77h (2024-01-04 05:00): the interval for 01-03 ended at 72h
    assert created == [u(2024, 1, 1), u(2024, 1, 2), u(2024, 1, 3)]


def test_due_runs_dst_in_local_timezone():
    runs = due_runs(
        "0 2 * * *",
        start_date=u(2024, 10, 25),
        end_date=None,
        catchup=True,
        last_logical_date=None,
        now=u(2024, 10, 29, 12),
        tz=AMS,
    )
    assert starts(runs) == [u(2024, 10, 25, 0), u(2024, 10, 26, 0), u(2024, 10, 27, 1), u(2024, 10, 28, 1)]
    latest = due_runs(
        "0 2 * * *",
        start_date=u(2024, 10, 25),
        end_date=None,
        catchup=False,
        last_logical_date=None,
        now=u(2024, 10, 29, 12),
        tz=AMS,
    )
    assert pairs(latest) == [(u(2024, 10, 28, 1), u(2024, 10, 29, 1))]


# -- next_due_at ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schedule, start_date, last, tz, expected",
    [
        ("@daily", u(2024, 1, 1), None, "UTC", u(2024, 1, 2)),
        ("@daily", u(2024, 1, 1, 5), None, "UTC", u(2024, 1, 3)),  # first interval starts 2024-01-02
        ("@daily", u(2024, 1, 1), u(2024, 1, 5), "UTC", u(2024, 1, 7)),
        ("@hourly", u(2024, 1, 1), u(2024, 1, 1, 3), "UTC", u(2024, 1, 1, 5)),
        (timedelta(minutes=90), u(2024, 1, 1), None, "UTC", u(2024, 1, 1, 1, 30)),
        (timedelta(minutes=90), u(2024, 1, 1), u(2024, 1, 1, 1, 30), "UTC", u(2024, 1, 1, 4, 30)),
        ("0 2 * * *", u(2024, 3, 30), u(2024, 3, 30, 1), AMS, u(2024, 4, 1, 0)),  # interval 03-31 ends 04-01
        ("@once", u(2024, 1, 1), None, "UTC", u(2024, 1, 1)),
        ("@once", u(2024, 1, 1), u(2024, 1, 1), "UTC", None),
        (None, u(2024, 1, 1), None, "UTC", None),
        ("@daily", None, None, "UTC", None),
    ],
)
def test_next_due_at(schedule, start_date, last, tz, expected):
    assert next_due_at(schedule, start_date=start_date, last_logical_date=last, tz=tz) == expected


def test_next_due_at_respects_end_date():
    assert (
        next_due_at(
            "@daily", start_date=u(2024, 1, 1), last_logical_date=u(2024, 1, 3), end_date=u(2024, 1, 3, 12)
        )
        is None
    )
    assert next_due_at(
        "@daily", start_date=u(2024, 1, 1), last_logical_date=u(2024, 1, 2), end_date=u(2024, 1, 3, 12)
    ) == u(2024, 1, 4)


def test_next_due_at_agrees_with_due_runs():
    due = next_due_at("15 */6 * * *", start_date=u(2024, 1, 1), last_logical_date=None)
    assert due == u(2024, 1, 1, 6, 15)
    kwargs = dict(start_date=u(2024, 1, 1), end_date=None, catchup=True, last_logical_date=None)
    assert due_runs("15 */6 * * *", now=due - timedelta(seconds=1), **kwargs) == []
    assert starts(due_runs("15 */6 * * *", now=due, **kwargs)) == [u(2024, 1, 1, 0, 15)]


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schedule",
    [
        None,
        "@once",
        "@daily",
        "@hourly",
        "@weekly",
        "@monthly",
        "@yearly",
        "0 2 * * *",
        "*/5 9-17 * * 1-5",
        timedelta(minutes=1),
    ],
)
def test_valid_schedules(schedule):
    validate_schedule(schedule)


@pytest.mark.parametrize(
    "schedule, fragment",
    [
        ("61 * * * *", "'61 * * * *'"),
        ("not a cron", "'not a cron'"),
        ("", "''"),
        ("* * *", "'* * *'"),
        ("@fortnightly", "'@fortnightly'"),
        (timedelta(0), "timedelta"),
        (timedelta(hours=-1), "timedelta"),
        (42, "42"),
        (["0 2 * * *"], "list"),
    ],
)
def test_invalid_schedules(schedule, fragment):
    with pytest.raises(ScheduleError) as info:
        validate_schedule(schedule)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "call",
    [
        lambda: intervals_between("0 25 * * *", u(2024, 1, 1), u(2024, 1, 2)),
        lambda: due_runs(
            "0 25 * * *",
            start_date=u(2024, 1, 1),
            end_date=None,
            catchup=True,
            last_logical_date=None,
            now=u(2024, 1, 2),
        ),
        lambda: next_due_at("0 25 * * *", start_date=u(2024, 1, 1), last_logical_date=None),
        lambda: intervals_between("@daily", u(2024, 1, 1), u(2024, 1, 2), tz="Mars/Olympus_Mons"),
    ],
)
def test_public_functions_reject_bad_input(call):
    with pytest.raises(ScheduleError):
        call()


def test_cron_that_never_fires_yields_nothing():
    assert intervals_between("0 0 30 2 *", u(2024, 1, 1), u(2025, 1, 1)) == []
    assert next_due_at("0 0 30 2 *", start_date=u(2024, 1, 1), last_logical_date=None) is None


# -- data_interval: what a manual or backfilled run covers -----------------------------------

def test_data_interval_of_a_daily_run_in_a_dst_zone_spans_23_hours_on_spring_forward():
    from legato.schedules.timetable import data_interval

    ams = ZoneInfo("Europe/Amsterdam")
    start = datetime(2024, 3, 30, 23, 0, tzinfo=UTC)          # local midnight of 31 March
    a, b = data_interval("@daily", start, "Europe/Amsterdam")
    assert a == start
    assert b.astimezone(ams) == datetime(2024, 4, 1, 0, 0, tzinfo=ams)
    assert b - a == timedelta(hours=23)


def test_data_interval_in_utc_and_for_unscheduled_dags():
    from legato.schedules.timetable import data_interval

    t = datetime(2024, 1, 1, tzinfo=UTC)
    assert data_interval("@daily", t) == (t, t + timedelta(days=1))
    assert data_interval(timedelta(hours=6), t) == (t, t + timedelta(hours=6))
    assert data_interval(None, t) == (t, t)
    assert data_interval("@once", t) == (t, t)


def test_dag_timezone_comes_from_a_zoneinfo_start_date():
    from legato.schedules.timetable import dag_timezone

    assert dag_timezone(datetime(2024, 1, 1, tzinfo=ZoneInfo("Asia/Tokyo"))) == "Asia/Tokyo"
    assert dag_timezone(datetime(2024, 1, 1, tzinfo=UTC)) == "UTC"
    assert dag_timezone(None) == "UTC"


# -- Airflow's rules (issue 14) -------------------------------------------------------------


def test_quarterly_preset_fires_on_the_first_of_every_third_month():
    validate_schedule("@quarterly")
    runs = intervals_between("@quarterly", u(2024, 1, 1), u(2025, 1, 1))
    assert starts(runs) == [u(2024, 1, 1), u(2024, 4, 1), u(2024, 7, 1), u(2024, 10, 1)]


def test_fall_back_repeated_hour_fires_at_the_second_occurrence():
    # 02:30 happens twice in Amsterdam on 2024-10-27: Airflow (fold=1) fires at 01:30 UTC (CET)
    assert next_fire("30 2 * * *", u(2024, 10, 26, 12), AMS) == u(2024, 10, 27, 1, 30)


@pytest.mark.parametrize(("schedule", "run_after", "expected"), [
    ("@daily", u(2024, 1, 3), (u(2024, 1, 2), u(2024, 1, 3))),          # on a boundary
    ("@daily", u(2024, 1, 25, 1), (u(2024, 1, 24), u(2024, 1, 25))),    # 1am on the 25th
    ("0 */6 * * *", u(2024, 1, 3, 7), (u(2024, 1, 3), u(2024, 1, 3, 6))),
    (timedelta(hours=4), u(2024, 1, 3, 5), (u(2024, 1, 3, 1), u(2024, 1, 3, 5))),
    (None, u(2024, 1, 3, 5), (u(2024, 1, 3, 5), u(2024, 1, 3, 5))),
    ("@once", u(2024, 1, 3, 5), (u(2024, 1, 3, 5), u(2024, 1, 3, 5))),
])
def test_infer_manual_data_interval_as_airflow(schedule, run_after, expected):
    assert infer_manual_data_interval(schedule, run_after) == expected


def test_data_interval_follows_the_manual_interval_a_schedule_asks_for():
    class Trigger(str):
        manual_interval = "trigger"      # Airflow 3's default CronTriggerTimetable

    class Data(str):
        manual_interval = "data"         # CronDataIntervalTimetable

    assert data_interval("@daily", u(2024, 1, 3, 5)) == (u(2024, 1, 3, 5), u(2024, 1, 4))
    assert data_interval(Trigger("@daily"), u(2024, 1, 3, 5)) == (u(2024, 1, 3, 5), u(2024, 1, 3, 5))
    assert data_interval(Data("@daily"), u(2024, 1, 3, 5)) == (u(2024, 1, 2), u(2024, 1, 3))


@pytest.mark.parametrize(("start", "last", "now", "expected"), [
    # start_date off the 8h epoch grid: the latest interval is on the grid, as in Airflow
    (u(2024, 1, 1, 5), None, u(2024, 1, 3, 9), [u(2024, 1, 3, 0)]),
    # never before start_date: the first interval starts there and is not complete yet
    (u(2024, 1, 3, 5), None, u(2024, 1, 3, 9), []),
    (u(2024, 1, 3, 5), None, u(2024, 1, 3, 13, 1), [u(2024, 1, 3, 5)]),
    # after a run, the next interval starts where the last ended
    (u(2024, 1, 1, 5), u(2024, 1, 2, 16), u(2024, 1, 3, 9), [u(2024, 1, 3, 0)]),
    (u(2024, 1, 1, 5), u(2024, 1, 3, 0), u(2024, 1, 3, 9), []),
])
def test_timedelta_without_catchup_aligns_to_the_epoch_grid(start, last, now, expected):
    runs = due_runs(timedelta(hours=8), start_date=start, end_date=None, catchup=False,
                    last_logical_date=last, now=now)
    assert starts(runs) == expected
