"""The gate every request passes before any route sees it: rate limit, authentication, and
the body cap, in that order, before a single byte of the body is read.

1. Who is asking: the bearer token (checked against the token table: unknown, revoked and
   expired tokens are refused), else the UI session cookie, else the client address, which
   is the TCP peer unless the server trusts a proxy (see serve.py; LEGATO_TRUSTED_PROXIES).
2. Rate limit per caller (ratelimit.py): over it, 429 with Retry-After. /api/v1/health is
   never limited.
3. Authentication first: an /api/v1 route (and /metrics) without a valid bearer token is 401
   here, so an anonymous client can neither make the server buffer a body nor learn how its
   JSON would be validated (it used to get a 422 before the 401). Three exceptions do their
   own checks: /health (open), /docs and /openapi.json (a token or a UI session), and the
   webhook triggers (a token, or a signature over the body, which needs the body).
4. The body cap: a declared Content-Length over LEGATO_MAX_REQUEST_BYTES is 413 at once; a
   body streamed without one is cut off with 413 the moment it passes the cap.

The token found is left on the request (`request.state.legato_token`) for the routes' role
checks (deps.py), so a request costs one token lookup.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..config import Settings
from ..security import AuthError, authenticate
from ..store.tokens import TokenRow
from . import ui
from .deps import TOKEN_STATE
from .ratelimit import RateLimit, SlidingWindowLimiter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PREFIX = "/api/v1"
OPEN = (f"{PREFIX}/health",)
SELF_CHECKED = (f"{PREFIX}/docs", f"{PREFIX}/openapi.json")
WEBHOOKS = f"{PREFIX}/events/webhooks/"


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the cap: FastAPI lets an
    HTTPException through its body parsing, and the app's handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the {limit}-byte limit "
                              f"(LEGATO_MAX_REQUEST_BYTES)")


@dataclass(frozen=True)
class Caller:
    key: str                          # the rate-limit key: token:<id> or ip:<address>
    bearer: TokenRow | None           # a valid bearer token, if one was sent
    problem: str | None               # why a sent bearer token was refused


def needs_bearer(path: str) -> bool:
    """Whether the gate itself refuses this path without a valid bearer token."""
    if path in OPEN or path in SELF_CHECKED or path.startswith(WEBHOOKS):
        return False
    return path.startswith(f"{PREFIX}/") or path == PREFIX or path == "/metrics"


class Gate:
    """Pure ASGI middleware (no response buffering, nothing read before the checks)."""

    def __init__(self, app: Callable[..., Awaitable[None]], settings: Settings,
                 rate: RateLimit) -> None:
        self.app = app
        self.settings = settings
        self.rate = rate
        self.limiter = SlidingWindowLimiter(rate)
        self.max_body = settings.max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN:
            await self.app(scope, receive, send)
            return
        who = await run_in_threadpool(self._identify, Request(scope))
        refusal = self._refusal(scope, who)
        if refusal is not None:
            await _answer(send, *refusal)
            return
        scope.setdefault("state", {})[TOKEN_STATE] = who.bearer
        await self.app(scope, self._capped(receive), send)

    def _identify(self, request: Request) -> Caller:
        authorization = request.headers.get("authorization")
        if authorization:
            try:
                token = authenticate(self.settings, authorization)
                return Caller(f"token:{token.id}", token, None)
            except AuthError as exc:
                problem = exc.message
        else:
            problem = "missing bearer token"
        session = ui.session_of(self.settings, request)
        if session is not None:
            return Caller(f"token:{session.token.id}", None, problem)
        return Caller(f"ip:{request.client.host if request.client else 'unknown'}", None, problem)

    def _refusal(self, scope: Scope, who: Caller) -> tuple[int, str, dict[str, str]] | None:
        wait = self.limiter.hit(who.key)
        if wait is not None:
            return 429, (f"rate limit exceeded ({self.rate.limit} requests per "
                         f"{self.rate.window:g} s); retry in {wait} s"), {"Retry-After": str(wait)}
        if who.bearer is None and needs_bearer(scope["path"]):
            return 401, who.problem or "missing bearer token", {"WWW-Authenticate": "Bearer"}
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            return 413, (f"the request body is {declared} bytes; the limit is {self.max_body} "
                         f"(LEGATO_MAX_REQUEST_BYTES)"), {}
        return None

    def _capped(self, receive: Receive) -> Receive:
        limit, seen = self.max_body, 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message
        return capped


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _answer(send: Send, status: int, message: str, headers: dict[str, str]) -> None:
    body = json.dumps({"detail": message}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if status == 413:
        raw.append((b"connection", b"close"))          # the unread body is not waited for
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
