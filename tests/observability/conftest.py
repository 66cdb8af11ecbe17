"""Fixtures of the observability tests: a live API server (the server tests' harness) and a
clean tracer per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from legato.observability import tracing
from server_harness import Live, serving


@pytest.fixture
def start_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], Live]]:
    """A real uvicorn server on a free loopback port, with a token per role."""
    pytest.importorskip("uvicorn")
    dags = tmp_path / "dags"
    dags.mkdir()
    monkeypatch.setenv("LEGATO_DAGS", str(dags))
    monkeypatch.delenv("LEGATO_RATE_LIMIT", raising=False)
    with serving(dags) as start:
        yield start


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
