"""What every stand-in shares: a small JSON HTTP server on 127.0.0.1, on a free port, in a
daemon thread (the standard library's ThreadingHTTPServer: it starts in a millisecond and
needs nothing installed), routing by method and path pattern, with a record of every request
so tests and the demo's summary can say what a pipeline did to the system.

A stand-in is a real server speaking a subset of a real product's API, not a mock: a DAG
talks to it through the same connections, sinks and helpers it would use in production.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]                # names in lower case
    body: bytes

    def json(self) -> Any:
        """The JSON body (None when empty); a ValueError names what is wrong otherwise."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the body is not JSON: {exc}") from None


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None                       # dict/list -> JSON, str -> text, None -> empty
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Reply]


def error(status: int, message: str, **headers: str) -> Reply:
    return Reply(status, {"error": message}, dict(headers))


def bearer_token(req: Request) -> str | None:
    """The token of `Authorization: Bearer <token>` (or of an `X-API-Key` header)."""
    auth = req.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return req.headers.get("x-api-key")


def basic_credentials(req: Request) -> tuple[str, str] | None:
    auth = req.headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


class StandIn:
    """Subclasses set `name` and list their `routes()`: (method, path regex, handler); a
    handler takes the Request and the regex's named groups and returns a Reply."""

    name: ClassVar[str] = "stand-in"

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.lock = threading.RLock()
        self._routes = [(m, re.compile(p + r"/?$"), h) for m, p, h in self.routes()]
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def routes(self) -> list[tuple[str, str, Handler]]:
        raise NotImplementedError

    # -- life -------------------------------------------------------------------------------
    def start(self) -> StandIn:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"legato-standin-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"the {self.name} stand-in is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- requests ---------------------------------------------------------------------------
    def authorize(self, req: Request) -> Reply | None:
        """The refusal of an unauthenticated request, or None (every request is recorded)."""
        return None

    def handle(self, req: Request) -> Reply:
        with self.lock:
            self.requests.append(req)
        refused = self.authorize(req)
        if refused is not None:
            return refused
        allowed = []
        for method, pattern, handler in self._routes:
            match = pattern.match(req.path)
            if match is None:
                continue
            if method != req.method:
                allowed.append(method)
                continue
            try:
                return handler(req, **match.groupdict())
            except ValueError as exc:               # bad input, as the product would answer it
                return error(400, str(exc))
        if allowed:
            return error(405, f"{req.method} is not allowed on {req.path}",
                         Allow=", ".join(sorted(set(allowed))))
        return error(404, f"no such resource: {req.path}")

    def seen(self, method: str, path_prefix: str) -> list[Request]:
        """The requests received so far with this method under this path."""
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]


def _handler_for(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            req = Request(self.command, parts.path, query,
                          {k.lower(): v for k, v in self.headers.items()},
                          self.rfile.read(length) if length else b"")
            self._send(stand_in.handle(req))

        def _send(self, reply: Reply) -> None:
            body, kind = _encode(reply.body)
            self.send_response(reply.status)
            for name, value in {"Content-Type": kind, **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        def log_message(self, format: str, *args: Any) -> None:     # quiet: tests and the demo
            return

    return _Handler


def _encode(body: Any) -> tuple[bytes, str]:
    if body is None:
        return b"", "text/plain; charset=utf-8"
    if isinstance(body, str):
        kind = "text/html; charset=utf-8" if body.lstrip().startswith("<") else "text/plain; charset=utf-8"
        return body.encode(), kind
    return json.dumps(body, default=str).encode(), "application/json"
