"""legato.io.queue.publish read back by `events.Queue` triggers: the embedded queue (SQLite and
PostgreSQL stores) and NATS JetStream, Redis streams and RabbitMQ against the machine's brokers
(found by tests/services.py: under CI a broker that does not answer fails the test). A message
published twice with one message id makes exactly one run."""

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
from legato.io import queue
from legato.store.db import open_engine
from services import service_url

BROKERS = {"nats": "nats", "redis": "redis", "amqp": "rabbitmq"}    # scheme: service


def _make_runs(folder: Path) -> int:
    dags = {d.dag_id: d for d in load_folder(folder).dags}
    return create_event_runs(open_engine(load_settings().database_url), dags, datetime.now(UTC))


def _drain(polls: Polls, at_least: int) -> int:
    """Poll until `at_least` events came (generous bound, no sleeps), then a few more times so
    a duplicate the broker still holds would show up."""
    got, budget = 0, 60
    while got < at_least and budget:
        got += polls()
        budget -= 1
    return got + polls(3)


def test_the_embedded_queue_gets_what_publish_puts(backend: str, dags_folder: Path) -> None:
    write_dag(dags_folder, "io_embedded", "events.Queue('io-orders')")
    for n in (1, 2):
        queue.publish("io-orders", {"n": n})
    polls = Polls(dags_folder)
    try:
        assert _drain(polls, 2) == 2
    finally:
        polls.close()
    assert _make_runs(dags_folder) == 2
    assert sorted(r.event["n"] for r in runs_of("io_embedded")) == [1, 2]


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_a_broker_round_trip_is_one_run_per_message_id(broker: str, dags_folder: Path) -> None:
    url = service_url(BROKERS[broker])
    topic = f"legato-io-{uuid.uuid4().hex[:10]}"
    dag_id = f"io_{broker}_{uuid.uuid4().hex[:6]}"
    write_dag(dags_folder, dag_id, f"events.Queue({topic!r}, url={url!r})")
    polls = Polls(dags_folder)
    try:
        assert polls() == 0                      # the consumer is declared before publishing
        assert not polls.listener_failures()
        ids = [queue.publish(topic, {"n": n}, url=url, message_id=f"order-{n}") for n in (1, 2)]
        assert ids == ["order-1", "order-2"]
        queue.publish(topic, {"n": 1}, url=url, message_id="order-1")   # a retried publish
        assert queue.publish(topic, {"n": 3}, url=url) != "order-3"     # a fresh id by default
        _drain(polls, 3)
        assert not polls.listener_failures()
    finally:
        polls.close()
        _cleanup(broker, url, topic, dag_id)
    assert _make_runs(dags_folder) == 3
    assert sorted(r.event["n"] for r in runs_of(dag_id)) == [1, 2, 3]


def test_bad_input_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="url must be None"):
        queue.publish("t", {}, url="kafka://broker:9092")
    with pytest.raises(TypeError, match="not JSON-serializable"):
        queue.publish("t", {"when": object()})


def _cleanup(broker: str, url: str, topic: str, dag_id: str) -> None:
    drop_topic(broker, url, topic, amqp_queues=[f"legato.{dag_id}.{topic}"],
               redis_patterns=[f"legato:msgid:{topic}:*"])
