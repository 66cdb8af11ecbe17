"""The embedded queue: topics kept in the metadata database (no broker to run).

Publishing stores a message; every DAG listening on the topic reads it with its own cursor
(event_cursors "queue:<topic>"), so two DAGs on one topic both get a run. A new listener
starts at the beginning of the topic: a message published before the scheduler first saw
the DAG is not lost. Each message becomes a received event keyed by its id, in the same
transaction that moves the cursor.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..store import dialect
from ..store import events as event_store
from .base import Deliver
from .triggers import Queue

RECENT = timedelta(seconds=60)     # re-read window for ids that committed out of order


def cursor_name(topic: str) -> str:
    return f"queue:{topic}"


class EmbeddedQueueSource:
    def __init__(self, engine: sa.Engine, dag_id: str, trigger: Queue) -> None:
        self.engine, self.dag_id, self.topic = engine, dag_id, trigger.topic
        self.interval_s = trigger.poll_s
        # where ids commit in order (SQLite's one writer) there is no window to re-read
        self.recent = timedelta(0) if dialect.commits_in_order(engine) else RECENT

    def poll(self, deliver: Deliver) -> int:
        now = datetime.now(UTC)
        name = cursor_name(self.topic)
        with self.engine.begin() as conn:
            position = event_store.cursor(conn, self.dag_id, name)
            batch = event_store.messages(conn, self.topic, after=position or 0,
                                         recent_since=now - self.recent)
            fresh = 0
            for m in batch:
                _, first = event_store.receive(conn, self.dag_id, "queue",
                                               f"embedded:{self.topic}:{m.id}", m.payload, now)
                fresh += first
            if batch:
                last = max(position or 0, max(m.id for m in batch))
                if last != position:
                    event_store.advance(conn, self.dag_id, name, position, last, now)
        return fresh

    def close(self) -> None:
        pass


def publish(engine: sa.Engine, topic: str, payload: object) -> int:
    """Store one message on `topic`; its id."""
    with engine.begin() as conn:
        return event_store.publish(conn, topic, payload, datetime.now(UTC))
