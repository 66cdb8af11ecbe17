"""One Redis publisher (events/brokers/redis.py) for `legato.io.publish` and `legato events
publish`: a message id published twice adds one stream entry, on the machine's Redis
(found by tests/services.py)."""

from __future__ import annotations

import uuid

from broker_support import drop_topic
from legato.events.brokers import publish
from services import service_url


def test_a_repeated_message_id_adds_one_entry() -> None:
    import redis

    url = service_url("redis")
    topic = f"legato-pub-{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(url)
    try:
        first = publish(url, topic, b'{"n": 1}', "order-1")
        again = publish(url, topic, b'{"n": 1}', "order-1")         # a retried publish
        other = publish(url, topic, b'{"n": 2}', "order-2")
        assert first.startswith(f"stream {topic} entry ") and other.startswith(f"stream {topic} entry ")
        assert again == f"stream {topic}: message order-1 was published before, not added again"
        assert client.xlen(topic) == 2
        ttl = client.ttl(f"legato:msgid:{topic}:order-1")
        assert 0 < ttl <= 86_400
        publish(url, topic, b"{}", "short", dedupe_ttl_s=5)
        assert 0 < client.ttl(f"legato:msgid:{topic}:short") <= 5
    finally:
        client.close()
        drop_topic("redis", url, topic, redis_patterns=[f"legato:msgid:{topic}:*"])
