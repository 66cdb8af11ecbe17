"""The triggers users write: validation, schedule text, and timetables treating them as
unscheduled (pure, no I/O)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from legato import DAG, DagDefinitionError, Dataset, events
from legato.schedules.timetable import (
    ScheduleError,
    due_runs,
    is_event_schedule,
    next_due_at,
    validate_schedule,
)

NOW = datetime(2024, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("schedule, text", [
    ([Dataset("s3://a"), Dataset("s3://b")], "dataset: s3://a, s3://b"),
    (events.FileArrival("/data/incoming/*.csv"), "file: /data/incoming/*.csv"),
    (events.Webhook("po-uploaded"), "webhook: po-uploaded"),
    (events.Queue("orders"), "queue: orders"),
    (events.Queue("orders", url="nats://user:pw@broker:4222"), "queue: nats://user@broker:4222/orders"),
])
def test_event_schedules_are_valid_unscheduled_and_described(schedule: object, text: str) -> None:
    validate_schedule(schedule)
    assert is_event_schedule(schedule)
    assert due_runs(schedule, start_date=NOW - timedelta(days=9), end_date=None, catchup=True,
                    last_logical_date=None, now=NOW) == []
    assert next_due_at(schedule, start_date=NOW, last_logical_date=None) is None
    with DAG("described", schedule=schedule, start_date="2024-01-01") as dag:
        pass
    assert dag.spec().schedule == text


@pytest.mark.parametrize("schedule, fragment", [
    ([Dataset("a"), "b"], "item 1 is 'b'"),
    ([], "at least one Dataset"),
    ((Dataset("a"), 3), "only hold Dataset"),
])
def test_a_schedule_list_may_only_hold_datasets(schedule: object, fragment: str) -> None:
    with pytest.raises(ScheduleError, match=fragment):
        validate_schedule(schedule)
    with pytest.raises(DagDefinitionError, match="DAG 'bad'.*" + fragment):
        DAG("bad", schedule=schedule)


@pytest.mark.parametrize("make, fragment", [
    (lambda: events.FileArrival(""), "non-empty path"),
    (lambda: events.FileArrival("/x/*", poll_interval=0), "poll_interval"),
    (lambda: events.Webhook("has space"), "Webhook name 'has space'"),
    (lambda: events.Webhook("po", secret="s3cret"), "'env:NAME'"),
    (lambda: events.Queue("t", url="kafka://h"), "nats://"),
    (lambda: events.Queue("a/b"), "Queue topic"),
])
def test_bad_triggers_are_refused_with_what_was_wrong(make: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        make()  # type: ignore[operator]


def test_triggers_compare_by_value_and_report_their_broker() -> None:
    assert events.FileArrival("/a/*", poll_interval=timedelta(seconds=2)) == events.FileArrival("/a/*", 2)
    assert events.Queue("t").broker == "embedded"
    assert events.Queue("t", url="rediss://h").broker == "redis"
    assert events.Queue("t", url="amqp://h").broker == "amqp"


def test_importing_events_loads_no_broker_or_fsspec() -> None:
    code = ("import sys; from legato import events; events.Queue('t', url='nats://h'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('fsspec', 'nats', 'redis', 'pika', 'fastapi', 'sqlalchemy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
