"""The seam every event source implements, and the one way a source hands an event over.

A source polls its origin (a folder, a broker) and calls `deliver` for each event; `deliver`
commits a received-event row and returns only then, so a broker message is acknowledged
after its row is durable (at-least-once from the broker, one run per dedupe key).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa

from ..store import events as event_store

Deliver = Callable[[str, str, Any], bool]       # (dedupe key, source, payload) -> first time?


class Source(Protocol):
    """One DAG's trigger, polled by the listener thread."""

    interval_s: float

    def poll(self, deliver: Deliver) -> int:
        """Hand every new event to `deliver`; the number handed over."""
        ...

    def close(self) -> None: ...


def deliverer(engine: sa.Engine, dag_id: str) -> Deliver:
    """A `deliver` that records events for `dag_id`, one transaction per event."""
    def deliver(key: str, source: str, payload: Any) -> bool:
        with engine.begin() as conn:
            _, first = event_store.receive(conn, dag_id, source, key, payload, datetime.now(UTC))
        return first
    return deliver


def decode_payload(raw: bytes | str) -> Any:
    """A message body as ctx.event: its JSON value, else the text (never a crash on bytes)."""
    import json

    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        return json.loads(text)
    except ValueError:
        return text
