"""Queue trigger on RabbitMQ (AMQP 0-9-1, pika).

`topic` names a durable fanout exchange; each DAG binds its own durable queue
`legato.<dag>.<topic>` to it, so two DAGs on one topic both get every message, and messages
published while no scheduler runs wait in the queues (once a scheduler has declared them).
A message is acknowledged after its received-event row is committed. The dedupe key is the
message's `message_id` property (set it when publishing; `legato events publish` does);
without one a redelivered message can make a second run (at-least-once).
"""

from __future__ import annotations

import hashlib
from typing import Any

from ...extras import require
from ..base import Deliver, decode_payload
from ..triggers import Queue

BATCH = 100


class AmqpSource:
    def __init__(self, dag_id: str, trigger: Queue) -> None:
        self.url, self.topic = str(trigger.url), trigger.topic
        self.queue = f"legato.{dag_id}.{trigger.topic}"
        self.interval_s = trigger.poll_s
        self.conn: Any = None
        self.channel: Any = None

    def _connect(self) -> None:
        pika = require("pika", "RabbitMQ queue triggers")

        self.conn = pika.BlockingConnection(pika.URLParameters(self.url))
        ch = self.conn.channel()
        ch.exchange_declare(exchange=self.topic, exchange_type="fanout", durable=True)
        ch.queue_declare(queue=self.queue, durable=True)
        ch.queue_bind(queue=self.queue, exchange=self.topic)
        self.channel = ch

    def poll(self, deliver: Deliver) -> int:
        if self.channel is None:
            self._connect()
        try:
            return self._drain(deliver)
        except Exception:
            self.close()
            raise

    def _drain(self, deliver: Deliver) -> int:
        count = 0
        while count < BATCH:
            method, props, body = self.channel.basic_get(self.queue, auto_ack=False)
            if method is None:
                break
            key = props.message_id or f"body:{hashlib.sha256(body).hexdigest()}:{method.delivery_tag}"
            deliver(f"amqp:{self.topic}:{key}", "queue", decode_payload(body))
            self.channel.basic_ack(method.delivery_tag)
            count += 1
        self.conn.process_data_events(0)           # heartbeats between polls
        return count

    def close(self) -> None:
        conn, self.conn, self.channel = self.conn, None, None
        if conn is not None and conn.is_open:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass


def publish(url: str, topic: str, body: bytes, message_id: str) -> str:
    pika = require("pika", "publishing to RabbitMQ")

    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        ch = conn.channel()
        ch.exchange_declare(exchange=topic, exchange_type="fanout", durable=True)
        ch.basic_publish(exchange=topic, routing_key="", body=body,
                         properties=pika.BasicProperties(message_id=message_id, delivery_mode=2,
                                                         content_type="application/json"))
        return f"exchange {topic}"
    finally:
        conn.close()
