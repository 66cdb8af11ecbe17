"""API tokens in the store: only the sha256 of a token is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from .schema import api_tokens


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str | None
    role: str
    created_at: datetime


def insert_token(conn: sa.Connection, name: str | None, role: str, token_hash: str,
                 created_at: datetime) -> TokenRow:
    result = conn.execute(sa.insert(api_tokens).values(
        name=name, role=role, token_hash=token_hash, created_at=created_at))
    (token_id,) = result.inserted_primary_key or (None,)
    return TokenRow(int(token_id), name, role, created_at)


def find_by_hash(conn: sa.Connection, token_hash: str) -> TokenRow | None:
    r = conn.execute(sa.select(api_tokens).where(api_tokens.c.token_hash == token_hash)).first()
    return None if r is None else TokenRow(r.id, r.name, r.role, r.created_at)


def count_tokens(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(api_tokens)).scalar() or 0)
