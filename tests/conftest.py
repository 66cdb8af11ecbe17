"""Every test gets its own $LEGATO_HOME, so stores never leak between tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.store.db import dispose_all


@pytest.fixture(autouse=True)
def legato_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "legato-home"
    monkeypatch.setenv("LEGATO_HOME", str(home))
    monkeypatch.delenv("LEGATO_DATABASE_URL", raising=False)
    yield home
    dispose_all()
