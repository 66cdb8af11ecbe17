"""Queue triggers: the embedded queue, and NATS JetStream, Redis streams and RabbitMQ against
the machine's brokers (found by tests/services.py: under CI a broker that does not answer
fails the test). Each: two DAGs on one topic both get every message,
a message becomes exactly one run, and messages published while no listener runs are read
when it starts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from events_support import Polls, runs_of, write_dag

from broker_support import drop_topic
from legato.authoring.loader import load_folder
from legato.config import load_settings
from legato.engine.event_runs import create_event_runs
from legato.services import events as event_service
from legato.store.db import open_engine
from services import service_url

BROKERS = {"nats": "nats", "redis": "redis", "amqp": "rabbitmq"}    # scheme: service


def _make_runs(folder: Path) -> int:
    dags = {d.dag_id: d for d in load_folder(folder).dags}
    return create_event_runs(open_engine(load_settings().database_url), dags, datetime.now(UTC))


def _payloads(dag_id: str) -> list[object]:
    return sorted((r.event for r in runs_of(dag_id)), key=lambda e: e["n"])


def test_the_embedded_queue_fans_out_and_keeps_messages_for_late_listeners(
        backend: str, dags_folder: Path) -> None:
    event_service.publish(load_settings(), "orders", {"n": 1})     # before any listener
    write_dag(dags_folder, "q1", "events.Queue('orders')")
    write_dag(dags_folder, "q2", "events.Queue('orders')")
    write_dag(dags_folder, "elsewhere", "events.Queue('other')")
    polls = Polls(dags_folder)
    try:
        assert polls() == 2
        event_service.publish(load_settings(), "orders", {"n": 2})
        assert polls(3) == 2
        assert _make_runs(dags_folder) == 4
        assert _make_runs(dags_folder) == 0
    finally:
        polls.close()
    assert _payloads("q1") == _payloads("q2") == [{"n": 1}, {"n": 2}]
    assert runs_of("elsewhere") == []
    restarted = Polls(dags_folder)                    # a new listener reads nothing twice
    try:
        assert restarted(2) == 0
    finally:
        restarted.close()


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_a_broker_queue_makes_one_run_per_message(broker: str, dags_folder: Path) -> None:
    url = service_url(BROKERS[broker])
    topic = f"legato-test-{uuid.uuid4().hex[:10]}"
    suffix = uuid.uuid4().hex[:6]
    for name in ("b1", "b2"):
        write_dag(dags_folder, f"{name}_{suffix}", f"events.Queue({topic!r}, url={url!r})")
    polls = Polls(dags_folder)
    try:
        assert polls() == 0                            # consumers declared; nothing yet
        assert not polls.listener_failures()
        settings = load_settings()
        for n in (1, 2, 3):
            event_service.publish(settings, topic, {"n": n}, url=url)
        got, deadline = 0, 50
        while got < 6 and deadline:
            got += polls()
            deadline -= 1
        assert got == 6
        assert polls(2) == 0                           # acknowledged: never delivered again
    finally:
        polls.close()
    assert _make_runs(dags_folder) == 6
    for name in ("b1", "b2"):
        assert _payloads(f"{name}_{suffix}") == [{"n": 1}, {"n": 2}, {"n": 3}]
    # published while no listener runs: read when one starts again
    event_service.publish(load_settings(), topic, {"n": 4}, url=url)
    again = Polls(dags_folder)
    try:
        got, deadline = 0, 50
        while got < 2 and deadline:
            got += again()
            deadline -= 1
        assert got == 2
    finally:
        again.close()
    _cleanup(broker, url, topic, suffix)


def _cleanup(broker: str, url: str, topic: str, suffix: str) -> None:
    drop_topic(broker, url, topic,
               amqp_queues=[f"legato.{name}_{suffix}.{topic}" for name in ("b1", "b2")],
               redis_patterns=[f"legato:msgid:{topic}:*"])
