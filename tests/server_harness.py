"""A real uvicorn server on a free loopback port with a token per role, for every test that talks
HTTP to Legato (tests/ is on sys.path through its conftest.py, so tests import `server_harness`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from legato.server.app import PREFIX


@dataclass
class Live:
    base: str
    app: object
    tokens: dict[str, str]
    dags: Path

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.base + PREFIX, headers=headers, timeout=30)


@contextmanager
def serving(dags: Path) -> Iterator[Callable[..., Live]]:
    """A factory of real uvicorn servers on free loopback ports (a token per role each), all
    stopped on exit. `start(rate_limit="N/SECONDS")` sets the server's rate limit."""
    import uvicorn

    from legato.config import load_settings
    from legato.security import create_token
    from legato.server.app import create_app

    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(rate_limit: str | None = None) -> Live:
        settings = load_settings()
        tokens = {role: create_token(settings, role, f"test-{role}")[0]
                  for role in ("viewer", "operator", "admin")}
        app = create_app(settings, rate_limit=rate_limit)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                               lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        running.append((server, thread))
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        return Live(f"http://127.0.0.1:{port}", app, tokens, dags)

    try:
        yield start
    finally:
        for server, thread in running:
            server.should_exit = True
            thread.join(timeout=10)
