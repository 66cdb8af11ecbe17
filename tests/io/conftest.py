"""Fixtures of the connector tests: a DAG folder ($LEGATO_DAGS). The queue round trips reuse
the event-trigger tests' helpers (tests/events/events_support.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "events"))


@pytest.fixture()
def dags_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    monkeypatch.setenv("LEGATO_DAGS", str(folder))
    return folder
