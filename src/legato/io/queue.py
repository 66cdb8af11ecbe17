"""`publish`: put a message on a queue that `events.Queue(topic, url=...)` triggers read.

- `url=None`: the embedded queue in the metadata database (`legato.events.embedded.publish`,
  what `legato events publish` calls); one committed row per call.
- `nats://`: JetStream (the stream is created if missing); `Nats-Msg-Id` = `message_id`, so
  JetStream drops a repeat within its duplicate window (2 minutes by default).
- `redis://`: XADD to the stream named `topic` (fields `data` = the JSON, `message_id`). The
  consumer keys runs by entry id, so a repeat would be a second entry; publishing therefore
  sets `legato:msgid:<topic>:<message_id>` (kept `dedupe_ttl_s`, 1 day) and adds the entry in
  one Lua script: a repeated `message_id` adds nothing (events/brokers/redis.py, the one Redis
  publisher, which `legato events publish` uses too).
- `amqp://`: the fanout exchange `topic` with the `message_id` property, which the consumer
  keys runs by.

`message` is anything JSON can hold; `message_id` defaults to a new UUID and is returned, so a
caller that retries a publish should pass its own stable id (e.g. `f"{run_id}:{n}"`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

DEDUPE_TTL_S = 86_400          # events/brokers/redis.py's default, spelled out for the signature


def publish(topic: str, message: Any, url: str | None = None, message_id: str | None = None,
            *, dedupe_ttl_s: int = DEDUPE_TTL_S) -> str:
    """Publish one message; its message id."""
    from ..events.triggers import Queue

    Queue(topic, url=url)                                  # validates topic and url
    try:
        body = json.dumps(message).encode()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"message for {topic!r} is not JSON-serializable: {exc}") from exc
    message_id = message_id or uuid.uuid4().hex
    if url is None:
        _publish_embedded(topic, message)
    else:
        from ..events.brokers import publish as broker_publish

        broker_publish(url, topic, body, message_id, dedupe_ttl_s=dedupe_ttl_s)
    return message_id


def _publish_embedded(topic: str, message: Any) -> None:
    from ..config import store_in_use
    from ..events.embedded import publish as embedded_publish
    from ..store.db import open_engine

    embedded_publish(open_engine(store_in_use().database_url), topic, message)

