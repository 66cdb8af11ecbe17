"""legato.httpclient: the one HTTP setup (status policy, Retry-After, redaction, the client)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import legato
from legato.httpclient import (
    client,
    describe,
    is_refusal,
    is_transient,
    redact,
    retry_after,
    safe_url,
)


@pytest.mark.parametrize(("status", "transient", "refusal"), [
    (400, False, True), (401, False, True), (404, False, True), (409, False, True),
    (408, True, False), (425, True, False), (429, True, False),
    (500, True, False), (501, True, False), (503, True, False), (599, True, False),
    (302, False, False), (200, False, False)])
def test_which_answers_are_worth_sending_again(status: int, transient: bool, refusal: bool) -> None:
    assert (is_transient(status), is_refusal(status)) == (transient, refusal)


def test_a_caller_may_widen_the_transient_set() -> None:
    assert is_transient(409, frozenset({409})) and not is_refusal(409, frozenset({409}))


@pytest.mark.parametrize(("header", "now", "wait"), [
    ("7", 0.0, 7.0), (" 12 ", 0.0, 12.0), ("Wed, 21 Oct 2015 07:28:10 GMT", 1445412480.0, 10.0),
    ("Wed, 21 Oct 2015 07:28:10 GMT", 1445412500.0, 0.0), ("soon", 0.0, None), (None, 0.0, None),
    ("", 0.0, None)])
def test_retry_after(header: str | None, now: float, wait: float | None) -> None:
    assert retry_after(header, now) == wait


def test_credentials_never_show() -> None:
    assert safe_url("https://ann:s3cret@api.example.com:8443/v1?x=1") == \
        "https://api.example.com:8443/v1?x=1"
    assert safe_url("https://api.example.com/v1") == "https://api.example.com/v1"
    text = "POST http://u:p%40ss@h:1/a failed; see amqp://guest:guest@mq/%2F and user@example.com"
    assert redact(text) == "POST http://h:1/a failed; see amqp://mq/%2F and user@example.com"
    assert describe(ConnectionError("to https://k:v@x/y refused")) == \
        "ConnectionError: to https://x/y refused"


@pytest.fixture
def agent_server() -> Iterator[tuple[str, list[str]]]:
    agents: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            agents.append(self.headers.get("User-Agent", ""))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", agents
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_the_client_names_legato_and_keeps_its_timeout(agent_server: tuple[str, list[str]]) -> None:
    url, agents = agent_server
    with client(timeout=3.5) as c:
        assert c.timeout.read == 3.5 and c.follow_redirects is False
        c.get(url)
        c.get(url, headers={"User-Agent": "own/2"})
    assert agents == [f"legato/{legato.__version__}", "own/2"]
