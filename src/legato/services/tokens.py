"""API token use cases, once, for the CLI (`legato tokens`), the API (/api/v1/tokens, admins)
and the UI's admin page: list, create (optionally expiring), revoke.

The plain token exists only in what `create` returns; the store keeps its sha256. Revoking is
immediate: the next request with that token, bearer or UI session cookie, is refused (401, or
the UI's login page). Rows are kept after revocation so the audit log's actors stay readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..config import Settings
from ..errors import InvalidInput
from ..security import tokens as security
from ..store import tokens as store
from ..store.db import open_engine
from .rows import by_id

_DURATION = re.compile(r"^\s*(\d{1,6})\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_LIFETIME = timedelta(days=9999)
# the API's pattern for a lifetime: every value it allows is at most MAX_LIFETIME
LIFETIME_PATTERN = r"^([1-9][0-9]{0,5}m|[1-9][0-9]{0,4}h|[1-9][0-9]{0,3}d|[1-9][0-9]{0,2}w)$"


@dataclass(frozen=True)
class TokenInfo:
    """A token as listings show it: never the token itself."""

    id: int
    name: str | None
    role: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    state: str                              # active | expired | revoked

    def to_json(self) -> dict[str, Any]:
        def iso(v: datetime | None) -> str | None:
            return None if v is None else v.isoformat()

        return {"id": self.id, "name": self.name, "role": self.role, "state": self.state,
                "created_at": iso(self.created_at), "expires_at": iso(self.expires_at),
                "revoked_at": iso(self.revoked_at)}


def _info(row: store.TokenRow, now: datetime) -> TokenInfo:
    state = "revoked" if row.revoked_at else ("active" if row.live(now) else "expired")
    return TokenInfo(row.id, row.name, row.role, row.created_at, row.expires_at, row.revoked_at,
                     state)


def parse_lifetime(text: str) -> timedelta:
    """"90m", "12h", "30d", "2w" as a timedelta (InvalidInput names the accepted forms)."""
    m = _DURATION.match(text or "")
    if not m or int(m.group(1)) == 0:
        raise InvalidInput(f"a token lifetime looks like 90m, 12h, 30d or 2w, not {text!r}")
    lifetime = timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    if lifetime > MAX_LIFETIME:
        raise InvalidInput(f"a token lifetime is at most {MAX_LIFETIME.days} days")
    return lifetime


def create_token(settings: Settings, role: str, name: str | None = None,
                 expires_in: str | timedelta | None = None) -> tuple[str, TokenInfo]:
    """A new token; returns the plain token (show it once) and its info."""
    if name is not None and (len(name) > 250 or "\x00" in name):
        raise InvalidInput("a token name is at most 250 characters, without NUL")
    lifetime = parse_lifetime(expires_in) if isinstance(expires_in, str) else expires_in
    expires_at = None if lifetime is None else datetime.now(UTC) + lifetime
    plain, row = security.create_token(settings, role, name, expires_at)
    return plain, _info(row, datetime.now(UTC))


def list_tokens(settings: Settings, *, include_inactive: bool = True) -> list[TokenInfo]:
    """Every token, oldest first; `include_inactive=False` keeps only the active ones."""
    now = datetime.now(UTC)
    with open_engine(settings.database_url).connect() as conn:
        infos = [_info(r, now) for r in store.list_tokens(conn)]
    return infos if include_inactive else [i for i in infos if i.state == "active"]


def get_token(settings: Settings, token_id: int) -> TokenInfo:
    return _info(by_id(settings, store.get, token_id, "token"), datetime.now(UTC))


def revoke_token(settings: Settings, token_id: int) -> tuple[TokenInfo, bool]:
    """Revoke a token now; returns its info and whether this call revoked it (False: it
    already was). Its bearer requests and UI sessions are refused from the next request."""
    get_token(settings, token_id)                          # NotFound first
    with open_engine(settings.database_url).begin() as conn:
        changed = store.revoke(conn, token_id, datetime.now(UTC))
    return get_token(settings, token_id), changed
