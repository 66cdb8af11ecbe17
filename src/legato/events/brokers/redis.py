"""Queue trigger on a Redis stream named `topic`, read by a consumer group per DAG.

The group `legato:<dag>` is created at the stream's start (id 0, the stream is created if
missing), so entries added while no scheduler runs are read when one starts. Entries are
acknowledged (XACK) after their received-event row is committed; after a crash the entries
delivered but not acknowledged are read again first (XREADGROUP from id 0) and the entry id,
the dedupe key, stops a second run. An entry's payload is the JSON of its `data` field, or
its fields as a mapping when it has no `data`.

Publishing (`publish`, used by `legato.io.publish` and `legato events publish`) adds the entry
(fields `data` = the body, `message_id`) only the first time its `message_id` is seen: the key
`legato:msgid:<topic>:<message_id>` is set (kept `dedupe_ttl_s`, 1 day) and the entry added in
one Lua script, so a retried publish adds nothing (as JetStream's Nats-Msg-Id and the AMQP
consumer's message_id key do for the other brokers).
"""

from __future__ import annotations

from typing import Any

from ...extras import require
from ..base import Deliver, decode_payload
from ..triggers import Queue

BATCH = 100
CONSUMER = "legato"
DEDUPE_TTL_S = 86_400
_ONCE = """
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[3]) then
  return redis.call('XADD', KEYS[1], '*', 'data', ARGV[1], 'message_id', ARGV[2])
end
return false
"""


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def entry_payload(fields: dict[Any, Any]) -> Any:
    named = {_text(k): v for k, v in fields.items()}
    if "data" in named:
        return decode_payload(named["data"])
    return {k: _text(v) for k, v in named.items()}


class RedisSource:
    def __init__(self, dag_id: str, trigger: Queue) -> None:
        self.url, self.stream = str(trigger.url), trigger.topic
        self.group = f"legato:{dag_id}"
        self.interval_s = trigger.poll_s
        self.client: Any = None

    def _connect(self) -> Any:
        redis = require("redis", "Redis queue triggers")

        client = redis.Redis.from_url(self.url, socket_timeout=10, socket_connect_timeout=5)
        try:
            client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        return client

    def poll(self, deliver: Deliver) -> int:
        if self.client is None:
            self.client = self._connect()
        try:
            # entries delivered before but never acknowledged (a crash), then new ones
            return self._read(deliver, "0") + self._read(deliver, ">")
        except Exception:
            self.close()
            raise

    def _read(self, deliver: Deliver, start: str) -> int:
        got = self.client.xreadgroup(self.group, CONSUMER, {self.stream: start}, count=BATCH)
        count = 0
        for _stream, entries in got or []:
            for entry_id, fields in entries:
                if fields is None:                 # trimmed away while pending
                    self.client.xack(self.stream, self.group, entry_id)
                    continue
                eid = _text(entry_id)
                deliver(f"redis:{self.stream}:{eid}", "queue", entry_payload(fields))
                self.client.xack(self.stream, self.group, entry_id)
                count += 1
        return count

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.close()


def publish(url: str, topic: str, body: bytes, message_id: str, *,
            dedupe_ttl_s: int = DEDUPE_TTL_S) -> str:
    """Add the entry unless `message_id` was published to `topic` in the last `dedupe_ttl_s`."""
    redis = require("redis", "publishing to Redis")

    client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
    try:
        entry = client.eval(_ONCE, 2, topic, f"legato:msgid:{topic}:{message_id}", body,
                            message_id, dedupe_ttl_s)
    finally:
        client.close()
    if entry is None:
        return f"stream {topic}: message {message_id} was published before, not added again"
    return f"stream {topic} entry {_text(entry)}"
