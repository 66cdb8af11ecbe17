"""Queue triggers on a broker: NATS JetStream, Redis streams, RabbitMQ. Each module imports its
client library when a source is made, never at `import legato`."""

from __future__ import annotations

import re

from ..triggers import Queue


def safe_name(text: str) -> str:
    """A broker-safe spelling of a DAG id or topic for durable consumer and stream names."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def make_source(dag_id: str, trigger: Queue) -> object:
    if trigger.broker == "nats":
        from .nats import NatsSource
        return NatsSource(dag_id, trigger)
    if trigger.broker == "redis":
        from .redis import RedisSource
        return RedisSource(dag_id, trigger)
    if trigger.broker == "amqp":
        from .amqp import AmqpSource
        return AmqpSource(dag_id, trigger)
    raise ValueError(f"no broker source for {trigger.url!r}")


def publish(url: str, topic: str, body: bytes, message_id: str, *,
            dedupe_ttl_s: int | None = None) -> str:
    """Publish one message the way the matching source reads it, once per `message_id` (each
    broker's way: see its module); where it went. `dedupe_ttl_s`: how long Redis remembers
    an id (default a day)."""
    broker = Queue(topic, url=url).broker
    if broker == "nats":
        from .nats import publish as nats_publish
        return nats_publish(url, topic, body, message_id)
    if broker == "redis":
        from .redis import DEDUPE_TTL_S
        from .redis import publish as redis_publish
        return redis_publish(url, topic, body, message_id,
                             dedupe_ttl_s=DEDUPE_TTL_S if dedupe_ttl_s is None else dedupe_ttl_s)
    from .amqp import publish as amqp_publish
    return amqp_publish(url, topic, body, message_id)
