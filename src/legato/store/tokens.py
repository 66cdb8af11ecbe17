"""API tokens in the store: only the sha256 of a token is kept.

A token may carry an expiry (`expires_at`) and is revoked by setting `revoked_at`; rows are
never deleted, so the audit log's actors keep meaning something. Whether a row still
authenticates is `TokenRow.live(now)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .schema import api_tokens


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str | None
    role: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        """Neither revoked nor expired at `now`."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


def _row(r: sa.Row[Any]) -> TokenRow:
    return TokenRow(r.id, r.name, r.role, r.created_at, r.expires_at, r.revoked_at)


def insert_token(conn: sa.Connection, name: str | None, role: str, token_hash: str,
                 created_at: datetime, expires_at: datetime | None = None) -> TokenRow:
    result = conn.execute(sa.insert(api_tokens).values(
        name=name, role=role, token_hash=token_hash, created_at=created_at, expires_at=expires_at))
    key = result.inserted_primary_key
    assert key is not None, "an INSERT of one row knows its primary key"
    return TokenRow(int(key[0]), name, role, created_at, expires_at)


def find_by_hash(conn: sa.Connection, token_hash: str) -> TokenRow | None:
    r = conn.execute(sa.select(api_tokens).where(api_tokens.c.token_hash == token_hash)).first()
    return None if r is None else _row(r)


def get(conn: sa.Connection, token_id: int) -> TokenRow | None:
    r = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).first()
    return None if r is None else _row(r)


def list_tokens(conn: sa.Connection) -> list[TokenRow]:
    """Every token, oldest first (revoked and expired ones included)."""
    return [_row(r) for r in conn.execute(sa.select(api_tokens).order_by(api_tokens.c.id))]


def revoke(conn: sa.Connection, token_id: int, at: datetime) -> bool:
    """Mark a token revoked; False if it does not exist or was revoked already."""
    result = conn.execute(sa.update(api_tokens)
                          .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                          .values(revoked_at=at))
    return result.rowcount > 0


def count_tokens(conn: sa.Connection, live_at: datetime | None = None) -> int:
    """How many tokens exist; with `live_at`, only those neither revoked nor expired then."""
    q = sa.select(sa.func.count()).select_from(api_tokens)
    if live_at is not None:
        q = q.where(api_tokens.c.revoked_at.is_(None),
                    sa.or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > live_at))
    return int(conn.execute(q).scalar() or 0)
