"""Requests to a run's owner: clear, mark and cancel asked by the CLI, the API or the UI.

The process driving a run is the only writer of its state, so an operator's action on a
running run is recorded here and applied by that process (its driver, under the ownership
fence of every other write it makes), which marks it applied with its outcome in the same
transaction. Marking is conditional, so a request is applied once even if its owner and the
requester (taking over when the run stopped having an owner) race for it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .schema import run_requests


@dataclass(frozen=True, slots=True)
class RequestRow:
    id: int
    run_id: str
    action: str                    # clear | mark | cancel
    payload: dict[str, Any]
    requested_by: str
    requested_at: datetime
    applied_at: datetime | None
    outcome: dict[str, Any] | None


def _row(r: Any) -> RequestRow:
    return RequestRow(r.id, r.run_id, r.action, json.loads(r.payload_json), r.requested_by,
                      r.requested_at, r.applied_at,
                      json.loads(r.outcome_json) if r.outcome_json else None)


def insert(conn: sa.Connection, run_id: str, action: str, payload: dict[str, Any],
           requested_by: str, now: datetime) -> int:
    done = conn.execute(run_requests.insert().values(
        run_id=run_id, action=action, payload_json=json.dumps(payload), requested_by=requested_by,
        requested_at=now).returning(run_requests.c.id))
    return int(done.scalar_one())


def get(conn: sa.Connection, request_id: int) -> RequestRow | None:
    r = conn.execute(sa.select(run_requests).where(run_requests.c.id == request_id)).first()
    return _row(r) if r else None


def pending(conn: sa.Connection, run_ids: Sequence[str]) -> list[RequestRow]:
    """Requests not applied yet for these runs, oldest first (one indexed query)."""
    if not run_ids:
        return []
    q = (sa.select(run_requests).where(run_requests.c.applied_at.is_(None),
                                       run_requests.c.run_id.in_(list(run_ids)))
         .order_by(run_requests.c.id))
    return [_row(r) for r in conn.execute(q)]


def mark_applied(conn: sa.Connection, request_id: int, now: datetime,
                 outcome: dict[str, Any]) -> bool:
    """Record the request applied with `outcome`, unless it was already: True if this call
    did (so exactly one applier wins)."""
    done = conn.execute(run_requests.update().where(
        run_requests.c.id == request_id, run_requests.c.applied_at.is_(None)).values(
        applied_at=now, outcome_json=json.dumps(outcome)))
    return done.rowcount == 1
