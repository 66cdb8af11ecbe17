"""`X-Forwarded-For` cannot dodge the per-IP rate limit (issue 10 item 15): `legato server`
believes forwarded headers only from the proxies in LEGATO_TRUSTED_PROXIES (default none).
uvicorn's own default trusts them from 127.0.0.1, so any local client could pick its address.
Through real `legato server` processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from process_support import free_port
from waiting import answers, eventually


@contextmanager
def legato_server(home: Path, **env: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "legato.cli.main", "server", "--port", str(port)],
        env={**os.environ, "LEGATO_HOME": str(home), "LEGATO_RATE_LIMIT": "2/60", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        eventually(lambda: answers(f"{base}/health"), 30, alive=proc,
                   what="legato server to answer",
                   explain=lambda: proc.stderr.read() if proc.stderr and proc.poll() is not None else "")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _statuses(base: str) -> list[int]:
    return [httpx.get(f"{base}/runs", headers={"X-Forwarded-For": f"203.0.113.{n}"},
                      timeout=10).status_code for n in range(1, 5)]


@pytest.mark.e2e
def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(legato_home: Path) -> None:
    with legato_server(legato_home) as base:
        assert _statuses(base) == [401, 401, 429, 429]      # one client: 127.0.0.1
    with legato_server(legato_home, LEGATO_TRUSTED_PROXIES="127.0.0.1") as base:
        assert _statuses(base) == [401, 401, 401, 401]      # a proxy passing on 4 clients


def test_a_bad_proxy_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from legato.config import load_settings

    monkeypatch.setenv("LEGATO_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example")
    with pytest.raises(ValueError, match=r"proxy\.example"):
        load_settings()
    monkeypatch.setenv("LEGATO_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7 ,*")
    assert load_settings().trusted_proxies == "10.0.0.0/8,192.168.1.7,*"
