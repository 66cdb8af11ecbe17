"""Removing what a queue test left on the machine's brokers (a Redis stream and its keys, the
RabbitMQ exchange and queues, the NATS JetStream stream), shared by the trigger and the
publishing tests. tests/ is on sys.path through its conftest.py."""

from __future__ import annotations

from collections.abc import Iterable


def drop_topic(broker: str, url: str, topic: str, *, amqp_queues: Iterable[str] = (),
               redis_patterns: Iterable[str] = ()) -> None:
    if broker == "redis":
        import redis

        client = redis.Redis.from_url(url)
        keys = [k for pattern in redis_patterns for k in client.keys(pattern)]
        client.delete(topic, *keys)
        client.close()
    elif broker == "amqp":
        import pika

        conn = pika.BlockingConnection(pika.URLParameters(url))
        ch = conn.channel()
        for name in amqp_queues:
            ch.queue_delete(queue=name)
        ch.exchange_delete(exchange=topic)
        conn.close()
    else:
        import asyncio

        import nats

        async def drop() -> None:
            nc = await nats.connect(url)
            js = nc.jetstream()
            await js.delete_stream(await js.find_stream_name_by_subject(topic))
            await nc.close()

        asyncio.run(drop())
