"""A local HTTP server that records every request and answers from a script, and a way to
drive the incidents listener with engine events inside a real store transaction."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from legato.config import Settings, load_settings
from legato.engine.bus import Bus, TaskFinished
from legato.incidents.listener import IncidentListener
from legato.store.db import open_engine
from waiting import eventually


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


@dataclass
class Recorder:
    """Answers each request with `reply(request) -> (status, json body, delay_s)`."""

    reply: Callable[[Request], tuple[int, Any, float]] = lambda r: (200, {}, 0.0)
    requests: list[Request] = field(default_factory=list)
    accepted: list[Request] = field(default_factory=list)
    server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def wait_for(self, n: int, timeout_s: float = 20.0) -> list[Request]:
        """The accepted requests once there are `n` of them."""
        eventually(lambda: len(self.accepted) >= n, timeout_s, what=f"{n} accepted requests",
                   explain=lambda: f"received: {[(r.method, r.path) for r in self.requests]}")
        return self.accepted


def serve(recorder: Recorder, port: int = 0) -> Recorder:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            req = Request(self.command, parts.path, parse_qs(parts.query),
                          {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
            recorder.requests.append(req)
            status, body, delay = recorder.reply(req)
            if 200 <= status < 300:          # before answering: the client's next request
                recorder.accepted.append(req)  # may arrive on another thread at once
            if delay:
                time.sleep(delay)
            data = b"" if status == 204 else (body if isinstance(body, bytes)
                                              else json.dumps(body).encode())
            try:
                self.send_response(status)
                if status != 204:
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                return

        do_GET = do_POST = do_PUT = do_PATCH = _any

        def log_message(self, *args: Any) -> None:
            pass

    recorder.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    recorder.server.daemon_threads = True
    threading.Thread(target=recorder.server.serve_forever, daemon=True).start()
    return recorder


class Driver:
    """Feeds TaskFinished events to an IncidentListener in real transactions."""

    def __init__(self, sinks: list[Any], settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self.engine = open_engine(self.settings.database_url)
        self.bus = Bus()
        self.listener = IncidentListener(self.settings, global_sinks=sinks).attach(self.bus)

    def task(self, state: str, *, task_id: str = "load", run_id: str = "run_1", try_number: int = 1,
             error_type: str | None = "ValueError", error: str | None = "bad rows",
             dag_id: str = "sales") -> None:
        ev = TaskFinished(dag_id, run_id, task_id, -1, try_number, state,
                          None if state == "success" else error,
                          None if state == "success" else error_type, datetime.now(UTC))
        self.publish([ev])

    def publish(self, events: list[Any]) -> None:
        with self.engine.begin() as conn:
            self.bus.publish_in_tx(conn, events)
