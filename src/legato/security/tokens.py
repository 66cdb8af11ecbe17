"""Bearer tokens: created once (the plain token is shown once), stored as sha256, checked per request.

Roles are ordered: viewer may read; operator may also trigger, pause and unpause; admin may do
everything. A token may expire (`expires_at`) and may be revoked; either way it stops
authenticating at once, for the API and for the UI sessions that hold it (a UI session is the
token in a cookie, checked against the token table on every request). The use cases that list,
create and revoke tokens are in services/tokens.py.
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


def create_token(settings: Settings, role: str, name: str | None = None,
                 expires_at: datetime | None = None) -> tuple[str, token_store.TokenRow]:
    """A new random token with `role` (valid until `expires_at`, if given); returns the plain
    token (never stored) and its row."""
    if role not in _RANK:
        raise errors.InvalidInput(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    now = datetime.now(UTC)
    if expires_at is not None and expires_at <= now:
        raise errors.InvalidInput("a token's expiry must be in the future")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with open_engine(settings.database_url).begin() as conn:
        row = token_store.insert_token(conn, name, role, hash_token(token), now, expires_at)
    return token, row


def has_tokens(settings: Settings) -> bool:
    """Whether any token could authenticate now (neither revoked nor expired)."""
    with open_engine(settings.database_url).connect() as conn:
        return token_store.count_tokens(conn, live_at=datetime.now(UTC)) > 0


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
    if row.revoked_at is not None:
        raise AuthError("this token was revoked")
    if not row.live(datetime.now(UTC)):
        raise AuthError("this token has expired")
    return row


def permits(role: str, needed: str) -> bool:
    return role in _RANK and _RANK[role] >= _RANK[needed]
