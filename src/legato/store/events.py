"""Received events, the embedded queue and per-DAG cursors (event triggers, SPEC section 2).

A source *receives* an event for a DAG with `receive`: an insert that a repeated dedupe key
turns into nothing, on SQLite and PostgreSQL alike. The scheduler *claims* a pending event
with `claim`, a conditional UPDATE (`run_id IS NULL`), in the transaction that creates the
run: of two schedulers only one sees rowcount 1, and a crash between claim and run creation
rolls both back. Cursors advance with the same compare-and-set. Functions take the
connection so a caller controls the transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from . import dialect
from .schema import dataset_events, event_cursors, queue_messages, received_events


@dataclass(frozen=True)
class ReceivedEvent:
    id: int
    dag_id: str
    source: str
    key: str
    payload: Any
    received_at: datetime
    run_id: str | None
    consumed_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "dag_id": self.dag_id, "source": self.source, "key": self.key,
                "payload": self.payload, "received_at": self.received_at.isoformat(),
                "run_id": self.run_id,
                "consumed_at": self.consumed_at.isoformat() if self.consumed_at else None}


def _event(r: Any) -> ReceivedEvent:
    return ReceivedEvent(id=r.id, dag_id=r.dag_id, source=r.source, key=r.key,
                         payload=json.loads(r.payload_json), received_at=r.received_at,
                         run_id=r.run_id, consumed_at=r.consumed_at)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def receive(conn: sa.Connection, dag_id: str, source: str, key: str, payload: Any,
            now: datetime) -> tuple[int, bool]:
    """Record an event for `dag_id`; (its id, True) the first time its key is seen, else the
    id of the first delivery and False."""
    digest = key_hash(key)
    q = dialect.insert_ignoring(conn, received_events, ["dag_id", "source", "key_hash"])
    inserted = conn.execute(q.values(dag_id=dag_id, source=source, key=key, key_hash=digest,
                                     payload_json=json.dumps(payload, default=str),
                                     received_at=now, run_id=None, consumed_at=None)
                            .returning(received_events.c.id)).scalar_one_or_none()
    if inserted is not None:
        return int(inserted), True
    found = conn.execute(sa.select(received_events.c.id).where(
        received_events.c.dag_id == dag_id, received_events.c.source == source,
        received_events.c.key_hash == digest)).scalar_one()
    return int(found), False


def pending(conn: sa.Connection, dag_ids: Iterable[str], limit: int = 500) -> list[ReceivedEvent]:
    """Unclaimed events of these DAGs, oldest first."""
    ids = list(dag_ids)
    if not ids:
        return []
    q = (sa.select(received_events).where(received_events.c.run_id.is_(None),
                                          received_events.c.dag_id.in_(ids))
         .order_by(received_events.c.id).limit(limit))
    return [_event(r) for r in conn.execute(q)]


def claim(conn: sa.Connection, event_id: int, run_id: str, now: datetime) -> bool:
    """Mark a pending event consumed by `run_id`; False if another scheduler already did."""
    result = conn.execute(sa.update(received_events)
                          .where(received_events.c.id == event_id,
                                 received_events.c.run_id.is_(None))
                          .values(run_id=run_id, consumed_at=now))
    return result.rowcount == 1


def list_events(conn: sa.Connection, *, dag_id: str | None = None, source: str | None = None,
                limit: int = 100) -> list[ReceivedEvent]:
    """The latest received events, newest first."""
    q = sa.select(received_events).order_by(received_events.c.id.desc()).limit(limit)
    if dag_id:
        q = q.where(received_events.c.dag_id == dag_id)
    if source:
        q = q.where(received_events.c.source == source)
    return [_event(r) for r in conn.execute(q)]


# -- the embedded queue ---------------------------------------------------------------------

@dataclass(frozen=True)
class QueueMessage:
    id: int
    topic: str
    payload: Any
    published_at: datetime


def publish(conn: sa.Connection, topic: str, payload: Any, now: datetime) -> int:
    result = conn.execute(queue_messages.insert().values(
        topic=topic, payload_json=json.dumps(payload, default=str), published_at=now))
    key = result.inserted_primary_key
    assert key is not None                   # a one-row INSERT always reports its key
    return int(key[0])


def messages(conn: sa.Connection, topic: str, *, after: int, recent_since: datetime,
             limit: int = 500) -> list[QueueMessage]:
    """Messages of `topic` past the cursor, plus the recent ones at or below it (a PostgreSQL
    id can commit after a higher one: re-reading the last seconds catches it; the dedupe key
    drops the repeats)."""
    cols = queue_messages.c
    ahead = (sa.select(queue_messages).where(cols.topic == topic, cols.id > after)
             .order_by(cols.id).limit(limit))
    behind = (sa.select(queue_messages).where(cols.topic == topic, cols.id <= after,
                                              cols.published_at >= recent_since)
              .order_by(cols.id.desc()).limit(limit))
    rows = {r.id: r for q in (ahead, behind) for r in conn.execute(q)}
    return [QueueMessage(r.id, r.topic, json.loads(r.payload_json), r.published_at)
            for _, r in sorted(rows.items())]


# -- cursors --------------------------------------------------------------------------------

def cursor(conn: sa.Connection, dag_id: str, name: str) -> int | None:
    return conn.execute(sa.select(event_cursors.c.position).where(
        event_cursors.c.dag_id == dag_id, event_cursors.c.name == name)).scalar_one_or_none()


def advance(conn: sa.Connection, dag_id: str, name: str, old: int | None, new: int,
            now: datetime) -> bool:
    """Move a cursor from `old` (None: not created yet) to `new`; False if it was not at `old`
    (another scheduler moved it first)."""
    if old is None:
        q = dialect.insert_ignoring(conn, event_cursors, ["dag_id", "name"])
        created = conn.execute(q.values(dag_id=dag_id, name=name, position=new, updated_at=now)
                               .returning(event_cursors.c.dag_id)).first()
        return created is not None
    result = conn.execute(sa.update(event_cursors)
                          .where(event_cursors.c.dag_id == dag_id,
                                 event_cursors.c.name == name,
                                 event_cursors.c.position == old)
                          .values(position=new, updated_at=now))
    return result.rowcount == 1


# -- dataset updates (written by lineage, read here) ----------------------------------------

@dataclass(frozen=True)
class DatasetUpdate:
    id: int
    uri: str
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    extra: Any
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "uri": self.uri, "dag_id": self.dag_id, "task_id": self.task_id,
                "run_id": self.run_id, "extra": self.extra,
                "created_at": self.created_at.isoformat()}


def dataset_updates(conn: sa.Connection, uris: Iterable[str], *, after: int,
                    limit: int = 10000) -> list[DatasetUpdate]:
    """Updates of these datasets with an id past `after`, oldest first."""
    q = (sa.select(dataset_events)
         .where(dataset_events.c.uri.in_(list(uris)), dataset_events.c.id > after)
         .order_by(dataset_events.c.id).limit(limit))
    return [DatasetUpdate(r.id, r.uri, r.dag_id, r.task_id, r.run_id,
                          json.loads(r.extra_json or "{}"), r.created_at)
            for r in conn.execute(q)]
