"""Fixtures of the observability tests: a live API server (the server tests' harness) and a
clean tracer per test."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))

from server_harness import Live  # noqa: E402

from legato.config import load_settings  # noqa: E402
from legato.observability import tracing  # noqa: E402


@pytest.fixture
def start_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], Live]]:
    """A real uvicorn server on a free loopback port, with a token per role."""
    uvicorn = pytest.importorskip("uvicorn")
    from legato.security import create_token
    from legato.server.app import create_app

    dags = tmp_path / "dags"
    dags.mkdir()
    monkeypatch.setenv("LEGATO_DAGS", str(dags))
    monkeypatch.delenv("LEGATO_RATE_LIMIT", raising=False)
    running: list[tuple[object, threading.Thread]] = []

    def start() -> Live:
        settings = load_settings()
        tokens = {role: create_token(settings, role, f"test-{role}")[0]
                  for role in ("viewer", "operator", "admin")}
        app = create_app(settings)
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
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(timeout=10)


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """An InMemorySpanExporter the process's tracer exports to (LEGATO_OTEL on)."""
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tracing.use_exporter(exporter)
    monkeypatch.setenv("LEGATO_OTEL", "console")     # on; the exporter installed above is used
    try:
        yield exporter
    finally:
        tracing.reset()
