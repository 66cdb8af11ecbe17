"""Bearer tokens: created once (the plain token is shown once), stored as sha256, checked per request.

Roles are ordered: viewer may read; operator may also trigger, pause and unpause; admin may do
everything.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from .. import errors
from ..config import Settings
from ..store import tokens as token_store
from ..store.db import open_engine

ROLES = ("viewer", "operator", "admin")
_RANK = {role: rank for rank, role in enumerate(ROLES)}
TOKEN_PREFIX = "lgt_"


class AuthError(errors.Unauthorized):
    """No token, or a token the store does not accept: unknown, revoked or expired (HTTP 401)."""


class Forbidden(errors.Forbidden):
    """A known token whose role is too low for the action (HTTP 403)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(settings: Settings, role: str, name: str | None = None) -> tuple[str, token_store.TokenRow]:
    """A new random token with `role`; returns the plain token (never stored) and its row."""
    if role not in _RANK:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with open_engine(settings.database_url).begin() as conn:
        row = token_store.insert_token(conn, name, role, hash_token(token), datetime.now(UTC))
    return token, row


def has_tokens(settings: Settings) -> bool:
    with open_engine(settings.database_url).connect() as conn:
        return token_store.count_tokens(conn) > 0


def authenticate(settings: Settings, authorization: str | None) -> token_store.TokenRow:
    """The token row for an `Authorization: Bearer <token>` header value, or AuthError."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError("missing bearer token")
    with open_engine(settings.database_url).connect() as conn:
        row = token_store.find_by_hash(conn, hash_token(token))
    if row is None:
        raise AuthError("invalid token")
    return row


def permits(role: str, needed: str) -> bool:
    return role in _RANK and _RANK[role] >= _RANK[needed]
