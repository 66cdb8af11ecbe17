"""A real uvicorn server on a free loopback port with a token per role, for every test that talks
HTTP to Legato (tests/ is on sys.path through its conftest.py, so tests import `server_harness`).
`uvicorn_serving(app)` is the one way tests run an app in a thread; `serving` adds the tokens."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from legato.server.app import PREFIX
from waiting import eventually


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
def uvicorn_serving(app: Any) -> Iterator[str]:
    """Run `app` with uvicorn in a thread on a free loopback port; yields its root URL once it
    listens, and stops it on exit."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        eventually(lambda: server.started, 30, what="uvicorn to start",
                   explain=lambda: "" if thread.is_alive() else "its thread ended")
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serving(dags: Path) -> Iterator[Callable[..., Live]]:
    """A factory of real uvicorn servers on free loopback ports (a token per role each), all
    stopped on exit. `start(rate_limit="N/SECONDS")` sets the server's rate limit."""
    from legato.config import load_settings
    from legato.security import create_token
    from legato.server.app import create_app

    with ExitStack() as running:
        def start(rate_limit: str | None = None) -> Live:
            settings = load_settings()
            tokens = {role: create_token(settings, role, f"test-{role}")[0]
                      for role in ("viewer", "operator", "admin")}
            app = create_app(settings, rate_limit=rate_limit)
            return Live(running.enter_context(uvicorn_serving(app)), app, tokens, dags)

        yield start
