"""The audit log: one row per state-changing API action (trigger, pause, unpause, replay)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .schema import audit_log


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "target": self.target, "detail": self.detail}


def insert_audit(conn: sa.Connection, at: datetime, actor: str, action: str, target: str,
                 detail: dict[str, Any] | None = None) -> int:
    result = conn.execute(sa.insert(audit_log).values(
        at=at, actor=actor, action=action, target=target,
        detail_json=json.dumps(detail or {}, sort_keys=True, default=str)))
    key = result.inserted_primary_key
    assert key is not None, "an INSERT of one row knows its primary key"
    return int(key[0])


def list_audit(conn: sa.Connection, limit: int = 100) -> list[AuditRow]:
    """The newest `limit` rows, newest first (by id, which follows insertion order)."""
    rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
    return [AuditRow(r.id, r.at, r.actor, r.action, r.target, json.loads(r.detail_json or "{}"))
            for r in rows]
