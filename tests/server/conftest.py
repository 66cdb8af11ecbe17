"""Fixtures of the server tests: a real uvicorn server on a free loopback port, with tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from server_harness import Live, serving

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
    with serving(dags) as start:
        yield start


@pytest.fixture
def live(start_live: Callable[..., Live]) -> Live:
    return start_live()
