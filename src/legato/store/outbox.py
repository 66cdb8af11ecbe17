"""The delivery outbox: one row per (incident event, sink), written in the transaction of the
state change that caused it, delivered later by a dispatcher.

A row is `pending` until a sink accepts it (`delivered`) or it failed permanently too often
(`dead`, kept for inspection). A dispatcher claims a row with a conditional update and a lease
(`claimed_until`) before sending it, so two dispatchers on one database never send it twice;
a dispatcher that died mid-send loses its claim when the lease ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .schema import outbox


@dataclass(frozen=True)
class OutboxRow:
    id: int
    incident_id: int
    sink_key: str
    sink: dict[str, Any]
    event: str
    payload: dict[str, Any]
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    claimed_until: datetime | None
    delivered_at: datetime | None
    last_error: str | None


def _row(r: Any) -> OutboxRow:
    return OutboxRow(r.id, r.incident_id, r.sink_key, json.loads(r.sink_json), r.event,
                     json.loads(r.payload_json), r.state, r.attempts, r.created_at,
                     r.next_attempt_at, r.claimed_until, r.delivered_at, r.last_error)


def enqueue(conn: sa.Connection, incident_id: int, event: str, payload: dict[str, Any],
            sinks: list[tuple[str, dict[str, Any]]], now: datetime) -> None:
    """One pending row per sink (`sinks` is [(sink_key, sink_spec)])."""
    if not sinks:
        return
    body = json.dumps(payload, sort_keys=True, default=str)
    conn.execute(outbox.insert(), [
        {"incident_id": incident_id, "sink_key": key, "sink_json": json.dumps(spec, sort_keys=True),
         "event": event, "payload_json": body, "state": "pending", "attempts": 0,
         "created_at": now, "next_attempt_at": now} for key, spec in sinks])


def heads(conn: sa.Connection, now: datetime, limit: int = 500) -> list[OutboxRow]:
    """The oldest pending row of each (incident, sink) queue, if it is due and unclaimed:
    a later event of an incident waits for its earlier ones, on each sink separately."""
    first = (sa.select(sa.func.min(outbox.c.id)).where(outbox.c.state == "pending")
             .group_by(outbox.c.incident_id, outbox.c.sink_key))
    q = (sa.select(outbox).where(outbox.c.id.in_(first), outbox.c.next_attempt_at <= now,
                                 sa.or_(outbox.c.claimed_until.is_(None),
                                        outbox.c.claimed_until <= now))
         .order_by(outbox.c.id).limit(limit))
    return [_row(r) for r in conn.execute(q)]


def next_due_at(conn: sa.Connection) -> datetime | None:
    return conn.execute(sa.select(sa.func.min(outbox.c.next_attempt_at))
                        .where(outbox.c.state == "pending")).scalar()


def claim(conn: sa.Connection, row_id: int, owner: str, now: datetime, until: datetime) -> bool:
    cond = sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= now)
    result = conn.execute(outbox.update().where(outbox.c.id == row_id,
                                                outbox.c.state == "pending", cond)
                          .values(claimed_by=owner, claimed_until=until))
    return result.rowcount == 1


def mark_delivered(conn: sa.Connection, row_id: int, owner: str, now: datetime) -> bool:
    result = conn.execute(outbox.update().where(outbox.c.id == row_id, outbox.c.claimed_by == owner)
                          .values(state="delivered", delivered_at=now, claimed_until=None,
                                  attempts=outbox.c.attempts + 1, last_error=None))
    return result.rowcount == 1


def mark_failed(conn: sa.Connection, row_id: int, owner: str, *, next_at: datetime, error: str,
                dead: bool) -> None:
    conn.execute(outbox.update().where(outbox.c.id == row_id, outbox.c.claimed_by == owner)
                 .values(state="dead" if dead else "pending", attempts=outbox.c.attempts + 1,
                         next_attempt_at=next_at, last_error=error[:2000], claimed_until=None))


def pending_count(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(outbox)
                            .where(outbox.c.state == "pending")).scalar() or 0)


def of_incident(conn: sa.Connection, incident_id: int) -> list[OutboxRow]:
    q = sa.select(outbox).where(outbox.c.incident_id == incident_id).order_by(outbox.c.id)
    return [_row(r) for r in conn.execute(q)]


def all_rows(conn: sa.Connection) -> list[OutboxRow]:
    return [_row(r) for r in conn.execute(sa.select(outbox).order_by(outbox.c.id))]
