"""Queue trigger on NATS JetStream: durable, so messages published while no scheduler runs
wait in the stream.

The stream that holds `topic` is used if one exists, else a stream `LEGATO_<topic>` is
created for the subject (messages published to the subject before that first start are not
kept: core NATS keeps nothing without a stream). Each DAG has a durable pull consumer
`legato_<dag>` (which starts at the stream's first message); a message is acknowledged after
its received-event row is committed, and its stream sequence number is the dedupe key, so a
redelivery never makes a second run. nats-py is asyncio: the source owns a private event
loop, driven from the listener thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ...extras import require
from ..base import Deliver, decode_payload
from ..triggers import Queue
from . import safe_name

FETCH_TIMEOUT_S = 0.1
BATCH = 100


async def _stream_for(js: Any, topic: str) -> str:
    NotFoundError = require("nats.js.errors", "NATS queue triggers").NotFoundError

    try:
        return str(await js.find_stream_name_by_subject(topic))
    except NotFoundError:
        name = f"LEGATO_{safe_name(topic)}"
        await js.add_stream(name=name, subjects=[topic])
        return name


class NatsSource:
    def __init__(self, dag_id: str, trigger: Queue) -> None:
        self.url, self.topic = str(trigger.url), trigger.topic
        self.durable = f"legato_{safe_name(dag_id)}"
        self.interval_s = trigger.poll_s
        self.loop = asyncio.new_event_loop()
        self.nc: Any = None
        self.sub: Any = None

    async def _connect(self) -> None:
        nats = require("nats", "NATS queue triggers")

        self.nc = await nats.connect(self.url, connect_timeout=5, max_reconnect_attempts=1)
        js = self.nc.jetstream()
        stream = await _stream_for(js, self.topic)
        self.sub = await js.pull_subscribe(self.topic, durable=self.durable, stream=stream)

    async def _poll(self, deliver: Deliver) -> int:
        if self.sub is None:
            await self._connect()
        try:
            msgs = await self.sub.fetch(BATCH, timeout=FETCH_TIMEOUT_S)
        except TimeoutError:
            return 0
        for msg in msgs:
            seq = msg.metadata.sequence.stream
            deliver(f"nats:{msg.metadata.stream}:{seq}", "queue", decode_payload(msg.data))
            await msg.ack()
        return len(msgs)

    def poll(self, deliver: Deliver) -> int:
        try:
            return self.loop.run_until_complete(self._poll(deliver))
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        nc, self.nc, self.sub = self.nc, None, None
        if nc is not None:
            try:
                self.loop.run_until_complete(nc.close())
            except Exception:  # noqa: BLE001 - already broken; the next poll reconnects
                pass

    def close(self) -> None:
        self._drop()
        self.loop.close()


def publish(url: str, topic: str, body: bytes, message_id: str) -> str:
    """Publish through JetStream (creating the stream if needed); Nats-Msg-Id dedupes retries."""
    nats = require("nats", "publishing to NATS")

    async def send() -> str:
        nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=1)
        try:
            js = nc.jetstream()
            stream = await _stream_for(js, topic)
            ack = await js.publish(topic, body, headers={"Nats-Msg-Id": message_id})
            return f"{stream} seq {ack.seq}"
        finally:
            await nc.close()

    return asyncio.run(send())
