"""Fixtures of the server tests: a real uvicorn server on a free loopback port, with tokens."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

from server_harness import Live  # noqa: E402

from legato.config import load_settings  # noqa: E402
from legato.security import create_token  # noqa: E402
from legato.server.app import create_app  # noqa: E402

DAG_SOURCE = (
    "from legato import DAG, task\n"
    "with DAG('api_demo') as dag:\n"
    "    @task\n"
    "    def say():\n"
    "        print('hello from the api test')\n"
    "        return 1\n"
    "    say()\n"
)


@pytest.fixture
def start_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Live]]:
    """Starts a server (once per test), optionally with a `rate_limit` ("N/SECONDS")."""
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "api_demo.py").write_text(DAG_SOURCE)
    monkeypatch.setenv("LEGATO_DAGS", str(dags))
    monkeypatch.delenv("LEGATO_RATE_LIMIT", raising=False)
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


@pytest.fixture
def live(start_live: Callable[..., Live]) -> Live:
    return start_live()
