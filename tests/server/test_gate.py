"""Authentication before anything else, and a cap on every body (issue 10 item 10): an
anonymous request is refused with 401 before its body is read or validated (it used to be
buffered whole, and validated into a 422 before the 401), and a body over
LEGATO_MAX_REQUEST_BYTES is a 413 at once, declared or streamed.

The server is real (uvicorn on a loopback port); the raw-socket tests declare a body they never
send, so a server that waits for it times out instead of answering."""

from __future__ import annotations

import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest

from legato.config import load_settings
from server_harness import Live

BIG = 400 * 1024 * 1024


def _raw(live: Live, head: str, body: bytes = b"", timeout: float = 5.0) -> tuple[int, str]:
    """Send `head` (request line and headers) and `body`, and read the answer's status and
    body, or fail if none comes within `timeout` seconds."""
    url = urlsplit(live.base)
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        data = b""
        try:
            while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except TimeoutError:
            pytest.fail(f"no answer within {timeout} s: the server is waiting for the body")
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2].decode(errors="replace")


def test_an_anonymous_post_is_refused_before_its_body_is_read(live: Live) -> None:
    status, body = _raw(live, f"POST /api/v1/dags/api_demo/runs HTTP/1.1\nHost: x\n"
                              f"Content-Type: application/json\nContent-Length: {BIG}\n")
    assert status == 401 and "bearer" in body


def test_an_anonymous_bad_body_is_401_not_422(live: Live) -> None:
    with httpx.Client(base_url=live.base + "/api/v1", timeout=30) as c:
        for headers in ({}, {"Authorization": "Bearer lgt_unknown"}):
            r = c.post("/dags/api_demo/runs", content=b"{not json", headers={
                "Content-Type": "application/json", **headers})
            assert r.status_code == 401, (headers, r.status_code, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
        r = c.post("/dlq/replay", json={"ids": "nope"})
        assert r.status_code == 401


def test_a_declared_body_over_the_cap_is_413_without_reading_it(live: Live) -> None:
    token = live.tokens["operator"]
    status, body = _raw(live, f"POST /api/v1/dags/api_demo/runs HTTP/1.1\nHost: x\n"
                              f"Authorization: Bearer {token}\nContent-Type: application/json\n"
                              f"Content-Length: {BIG}\n")
    assert status == 413 and "LEGATO_MAX_REQUEST_BYTES" in body


def test_a_streamed_body_is_cut_off_at_the_cap(start_live: Callable[..., Live],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_MAX_REQUEST_BYTES", "65536")
    assert load_settings().max_request_bytes == 65536
    live = start_live()

    def chunks():
        yield b'{"params": {"pad": "'
        for _ in range(64):
            yield b"x" * 4096
        yield b'"}}'

    with live.client("operator") as c:
        r = c.post("/dags/api_demo/runs", content=chunks(),
                   headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "65536-byte limit" in r.json()["detail"]
        small = c.post("/dags/api_demo/runs", json={"params": {"pad": "x" * 1000}})
        assert small.status_code == 201, small.text


def test_the_cap_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("lots", "-1", "100"):
        monkeypatch.setenv("LEGATO_MAX_REQUEST_BYTES", bad)
        with pytest.raises(ValueError, match="LEGATO_MAX_REQUEST_BYTES"):
            load_settings()
    monkeypatch.delenv("LEGATO_MAX_REQUEST_BYTES")
    assert load_settings().max_request_bytes == 10 * 1024 * 1024
