"""UI sessions: a pasted API token in an HttpOnly cookie, roles as in the API, CSRF defences.

The session cookie holds the API token itself (HttpOnly, SameSite=Strict, Secure over HTTPS,
Path=/), so every request is authenticated against the token table exactly like a bearer
header: a deleted token ends its sessions at once, and nothing is kept in server memory (a
restart logs nobody out). Logging out deletes the cookie.

CSRF, two independent defences on every state-changing UI request (POST):
1. SameSite=Strict: the browser sends no session cookie on a request started by another site.
2. A per-session token, HMAC-SHA256(session token, "legato-ui-csrf"), put in every form as the
   `csrf` field and compared in constant time; it is derived, so it needs no storage, and it
   reveals nothing about the session token. In addition a POST whose `Origin` header names
   another origin is refused (login has no session yet, so the Origin check is its defence).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qs, quote

from fastapi import Request

from ...config import Settings
from ...errors import InvalidInput
from ...security import AuthError, Forbidden, authenticate, permits
from ...store.tokens import TokenRow

COOKIE = "legato_session"
COOKIE_MAX_AGE_S = 12 * 3600
LOGIN_PATH = "/ui/login"
MAX_FORM_BYTES = 64 * 1024


class LoginRequired(Exception):
    """No session, or its token is no longer valid: pages redirect to login, JSON says 401."""

    def __init__(self, next_path: str) -> None:
        super().__init__("log in first")
        self.next_path = next_path


class CsrfRejected(Forbidden):
    """A state-changing request without the session's CSRF token, or from another origin."""


@dataclass(frozen=True)
class UiSession:
    token: TokenRow
    csrf: str

    def can(self, role: str) -> bool:
        return permits(self.token.role, role)

    @property
    def who(self) -> str:
        return f"{self.token.name or f'token #{self.token.id}'} ({self.token.role})"


def csrf_for(raw_token: str) -> str:
    return hmac.new(raw_token.encode(), b"legato-ui-csrf", hashlib.sha256).hexdigest()


def safe_next(path: str | None, default: str = "/ui/dags") -> str:
    """Only a path of this UI is a redirect target (no scheme, no `//host`, no backslash)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return default
    return path if path.startswith(("/ui/", "/api/v1/docs")) else default


def login_url(next_path: str) -> str:
    return f"{LOGIN_PATH}?next={quote(next_path, safe='/')}"


def current_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def session_of(settings: Settings, request: Request) -> UiSession | None:
    """The request's session, or None when it has no cookie or a cookie with a dead token."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        token = authenticate(settings, f"Bearer {raw}")
    except AuthError:
        return None
    return UiSession(token, csrf_for(raw))


def require_session(settings: Settings, request: Request, role: str) -> UiSession:
    session = session_of(settings, request)
    if session is None:
        raise LoginRequired(current_path(request))
    request.state.ui_session = session          # the error page keeps this session's navigation
    if not session.can(role):
        raise Forbidden(f"role {session.token.role!r} may not do this (needs {role})")
    return session


def check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is None:
        return
    expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin != expected:
        raise CsrfRejected(f"cross-origin request refused (Origin {origin!r})")


def check_csrf(request: Request, session: UiSession, form: dict[str, str]) -> None:
    check_origin(request)
    sent = form.get("csrf") or request.headers.get("x-csrf-token") or ""
    if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise CsrfRejected("missing or wrong CSRF token; reload the page and try again")


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form body as a flat dict (first value wins); bad input is a ValueError."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidInput("form too large")
    try:
        fields = parse_qs(body.decode(), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"unreadable form: {exc}") from None
    return {k: v[0] for k, v in fields.items()}


def set_session_cookie(response: object, request: Request, raw_token: str) -> None:
    response.set_cookie(COOKIE, raw_token, max_age=COOKIE_MAX_AGE_S, path="/",  # type: ignore[attr-defined]
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")


def clear_session_cookie(response: object) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")  # type: ignore[attr-defined]
