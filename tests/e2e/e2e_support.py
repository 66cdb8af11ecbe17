"""Helpers the end-to-end tests share: a free loopback port, `legato up` as a subprocess, and for
the browser tests Debian's chromium (never downloaded) and logging in with a pasted token.

tests/e2e has no __init__.py, so pytest (default "prepend" import mode) puts this folder on
sys.path and the tests import this module as `e2e_support`; conftest.py registers it for assert
rewriting and defines the `browser` fixture.

Without /usr/bin/chromium or the playwright package the browser tests skip on a laptop and FAIL
under CI (`CI` set), so a CI machine cannot silently lose them.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:                   # pragma: no cover - test extras missing: `browser` skips or fails
    Browser = Page = expect = sync_playwright = None  # type: ignore[assignment,misc]

CHROMIUM = Path("/usr/bin/chromium")


def need(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required under CI (.ci/run installs it)")
    pytest.skip(f"{what} is not available")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Up:
    base: str
    tokens: dict[str, str]
    gate: Path


@contextmanager
def legato_up(env: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """Create a viewer and an operator token, run `legato up` on a free port with `env`, and yield
    its base URL and the tokens once /api/v1/health answers; then SIGTERM it: it must exit 0."""
    cli = [sys.executable, "-m", "legato.cli.main"]
    tokens = {role: subprocess.run([*cli, "tokens", "create", "--role", role, "--name", role], env=env,
                                   capture_output=True, text=True, check=True).stdout.strip()
              for role in ("viewer", "operator")}
    port = free_port()
    proc = subprocess.Popen([*cli, "up", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "legato up never answered"
            time.sleep(0.1)
        yield base, tokens
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out


def login(browser: Browser, up: Up, role: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{up.base}/ui/dags")
    expect(page).to_have_url(re.compile(r"/ui/login\?next="))      # no session: sent to log in
    page.fill("#token", up.tokens[role])
    page.click("#login")
    expect(page).to_have_url(f"{up.base}/ui/dags")
    return page
