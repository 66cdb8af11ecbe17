"""HttpTask against a real HTTP server on 127.0.0.1, run through dag.run()."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from legato import DAG
from legato.config import load_settings
from legato.services import queries
from legato.tasks import HttpTask


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    base: str
    port: int
    requests: list[Seen] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        self.server.seen.append(seen)  # type: ignore[attr-defined]
        if self.path.startswith("/boom"):
            self._send(500, "text/plain", b"kaput: the database is on fire")
        elif self.path.startswith("/limited"):
            self._send(429, "text/plain", b"slow down", {"Retry-After": "7"})
        elif self.path.startswith("/gone"):
            self._send(404, "text/plain", b"no such thing")
        elif self.path.startswith("/text"):
            self._send(200, "text/plain; charset=utf-8", b"plain words")
        else:
            payload = {"method": self.command, "path": self.path,
                       "body": json.loads(body) if body else None}
            self._send(200, "application/json", json.dumps(payload).encode())

    def _send(self, status: int, content_type: str, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen = []  # type: ignore[attr-defined]
    port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{port}", port, httpd.seen)  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_get_json_is_parsed_and_templated_endpoint(server: Server) -> None:
    with DAG("http_get") as dag:
        HttpTask("get", server.base + "/items/{{ ds }}")
    result = dag.run(logical_date="2024-02-29")
    assert result["get"].state == "success", result["get"].error
    assert result["get"].result == {"method": "GET", "path": "/items/2024-02-29", "body": None}
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/items/2024-02-29")]


def test_post_json_body_arrives_intact_with_headers(server: Server) -> None:
    body = {"name": "widget", "tags": ["a", "b"], "n": 3, "nested": {"x": None}, "day": "{{ ds }}"}
    with DAG("http_post") as dag:
        HttpTask("post", server.base + "/things", method="post", json=body,
                 headers={"X-Run": "{{ run_id }}"})
    result = dag.run(logical_date="2024-01-02")
    assert result["post"].state == "success", result["post"].error
    [seen] = server.requests
    assert seen.method == "POST" and seen.path == "/things"
    assert json.loads(seen.body) == {**body, "day": "2024-01-02"}
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["x-run"] == result.run_id
    assert result["post"].result["body"] == {**body, "day": "2024-01-02"}


def test_form_data_and_text_result(server: Server) -> None:
    with DAG("http_text") as dag:
        HttpTask("put", server.base + "/text", method="PUT", data={"a": "1", "b": "{{ ds_nodash }}"})
    result = dag.run(logical_date="2024-03-01")
    assert result["put"].result == "plain words"
    [seen] = server.requests
    assert seen.method == "PUT" and seen.body == b"a=1&b=20240301"


def test_basic_auth_from_connection_and_password_not_logged(
    server: Server, monkeypatch: pytest.MonkeyPatch, legato_home: Path
) -> None:
    monkeypatch.setenv("LEGATO_CONN_API", f"http://alice:s3cr%40t@127.0.0.1:{server.port}/v1")
    with DAG("http_auth") as dag:
        HttpTask("auth", "/items/{{ ds }}", http_conn_id="api")
    result = dag.run(logical_date="2024-05-06")
    assert result["auth"].state == "success", result["auth"].error
    [seen] = server.requests
    assert seen.path == "/v1/items/2024-05-06"
    expected = base64.b64encode(b"alice:s3cr@t").decode()
    assert seen.headers["authorization"] == f"Basic {expected}"
    log = queries.read_log(load_settings(), result.run_id, "auth", 1).text
    assert f"GET http://127.0.0.1:{server.port}/v1/items/2024-05-06" in log
    assert "200" in log
    assert "s3cr" not in log


def test_bearer_token_from_connection_extra(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_CONN_TOKENED", f"http://127.0.0.1:{server.port}?token=abc123")
    with DAG("http_token") as dag:
        HttpTask("tok", "items/1", http_conn_id="tokened")
    result = dag.run()
    assert result["tok"].state == "success", result["tok"].error
    [seen] = server.requests
    assert seen.path == "/items/1"
    assert seen.headers["authorization"] == "Bearer abc123"


def test_server_error_fails_with_status_and_is_retried(server: Server) -> None:
    with DAG("http_500") as dag:
        HttpTask("boom", server.base + "/boom", retries=1, retry_delay=0)
    result = dag.run()
    assert result["boom"].state == "failed"
    assert result["boom"].tries == 2
    assert "500" in result["boom"].error
    assert "database is on fire" in result["boom"].error
    assert [r.path for r in server.requests] == ["/boom", "/boom"]


def test_response_check_false_fails_without_retry(server: Server) -> None:
    with DAG("http_check") as dag:
        HttpTask("check", server.base + "/items/x", retries=3, retry_delay=0,
                 response_check=lambda r: r.json()["path"] == "/something-else")
        HttpTask("ok", server.base + "/items/y", response_check=lambda r: r.status_code == 200,
                 response_filter=lambda r: r.json()["path"].upper())
    result = dag.run()
    assert result["check"].state == "failed"
    assert result["check"].tries == 1
    assert "response_check" in result["check"].error
    assert result["ok"].state == "success" and result["ok"].result == "/ITEMS/Y"
    assert sorted(r.path for r in server.requests) == ["/items/x", "/items/y"]


def test_relative_endpoint_without_connection_fails(server: Server) -> None:
    with DAG("http_rel") as dag:
        HttpTask("rel", "/items/1")
    result = dag.run()
    assert result["rel"].state == "failed"
    assert "full http(s) URL" in result["rel"].error
    assert server.requests == []


def test_requests_carry_legatos_user_agent_unless_the_task_sets_one(server: Server) -> None:
    import legato

    with DAG("http_agent") as dag:
        HttpTask("plain", server.base + "/items/a")
        HttpTask("own", server.base + "/items/b", headers={"User-Agent": "mine/1"})
    assert dag.run().state == "success"
    agents = {r.path: r.headers["user-agent"] for r in server.requests}
    assert agents == {"/items/a": f"legato/{legato.__version__}", "/items/b": "mine/1"}


@pytest.mark.parametrize(("path", "status", "transient", "wait"),
                         [("/limited", 429, True, 7.0), ("/boom", 500, True, None),
                          ("/gone", 404, False, None)])
def test_the_error_says_whether_a_retry_may_help(server: Server, path: str, status: int,
                                                 transient: bool, wait: float | None) -> None:
    import logging
    from types import SimpleNamespace

    from legato.tasks.http import HttpError

    ctx = SimpleNamespace(deadline=None, log=logging.getLogger("test.http"))
    with DAG("http_error"):
        http = HttpTask("t", server.base + path)
    with pytest.raises(HttpError) as info:
        http.execute(ctx)  # type: ignore[arg-type]
    assert (info.value.status_code, info.value.transient, info.value.retry_after_s) == (
        status, transient, wait)
