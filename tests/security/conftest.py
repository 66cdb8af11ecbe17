"""Masking keeps process-wide state: every test here starts and ends with none known, so a
secret registered by one test never masks another test's log lines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from legato.security import masking


@pytest.fixture(autouse=True)
def _no_known_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("LEGATO_SECRET_KEY", raising=False)
    masking.forget_all()
    yield
    masking.forget_all()
