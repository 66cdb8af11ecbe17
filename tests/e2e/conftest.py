"""Fixtures of the end-to-end tests; the plain helpers they share are in e2e_support.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.register_assert_rewrite("e2e_support")     # its asserts report like the tests' own

from e2e_support import CHROMIUM, Browser, need, sync_playwright  # noqa: E402


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless; skips without it, and fails under CI (see e2e_support.need)."""
    if sync_playwright is None:
        need("the playwright package")
    if not CHROMIUM.exists():
        need(str(CHROMIUM))
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def module_browser() -> Iterator[Browser]:
    """One chromium for a whole module (the UI tests share it; each test opens its own context)."""
    if sync_playwright is None:
        need("the playwright package")
    if not CHROMIUM.exists():
        need(str(CHROMIUM))
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()
