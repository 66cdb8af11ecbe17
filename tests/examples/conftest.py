"""The gallery's tests run each example in this process (`dag.run()`), against the local
stand-ins of `legato.demo.standins` started fresh for each test, in the test's own
$LEGATO_HOME, and check what the pipeline did to the world: rows in the DuckDB warehouse,
files in the bucket, tickets in the helpdesk, messages on the queue, dead letters,
quarantine. The procurement API answers its 429s with `Retry-After: 0` here, so the tests
exercise the rate limit without sleeping through it (the demo waits the real second)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from legato import DAG
from legato.authoring.loader import load_file
from legato.demo.standins import StandIns

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIns]:
    stand_ins = StandIns(tmp_path / "world", retry_after_s=0).start()
    for name, value in stand_ins.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LEGATO_DAGS", str(EXAMPLES))
    yield stand_ins
    stand_ins.stop()


def example(name: str) -> dict[str, DAG]:
    """The DAGs of examples/<name>.py, imported as the scheduler's parser does."""
    loaded = load_file(EXAMPLES / f"{name}.py")
    assert not loaded.errors, loaded.errors
    return {d.dag_id: d for d in loaded.dags}


def states(result: Any) -> dict[str, str]:
    return {t: r.state for t, r in result.tasks.items()}


def queue_messages(topic: str) -> list[Any]:
    """The payloads published on an embedded-queue topic, oldest first."""
    from datetime import UTC, datetime

    from legato.config import load_settings
    from legato.store import events as event_store
    from legato.store.db import open_engine

    with open_engine(load_settings().database_url).connect() as conn:
        return [m.payload for m in event_store.messages(conn, topic, after=0,
                                                        recent_since=datetime.now(UTC))]
