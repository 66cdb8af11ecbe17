"""Fixtures of the event-trigger tests: a DAG folder, DAG files whose task returns ctx.event,
an in-process scheduler and a listener polled by hand (no sleeps: each poll is explicit)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from events_support import Polls

from legato.config import load_settings
from legato.engine.executors import make_executor
from legato.engine.scheduler import Scheduler


@pytest.fixture()
def dags_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    monkeypatch.setenv("LEGATO_DAGS", str(folder))
    return folder


@pytest.fixture()
def scheduler(dags_folder: Path) -> Iterator[Scheduler]:
    executor = make_executor("local")
    yield Scheduler(load_settings(), executor, poll_s=0.05)
    executor.shutdown()


@pytest.fixture()
def polls(dags_folder: Path) -> Iterator[Callable[..., int]]:
    p = Polls(dags_folder)
    yield p
    p.close()
