"""fetch_all against a real HTTP server on 127.0.0.1: the three paginations, Retry-After
honoured, retries exhausted into a clear error, auth headers from connections, and the refusal
to send credentials in clear text or to another origin."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from legato.io.http import FetchError, fetch_all, retry_after

Route = Callable[[dict[str, list[str]], dict[str, str]], tuple[int, dict[str, str], Any]]


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass                      # a client that timed out and hung up is what a test wants


class Api:
    """Routes by path; records every request's path, query and headers."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                headers = {k.lower(): v for k, v in self.headers.items()}
                api.seen.append((parts.path, query, headers))
                status, extra, body = api.routes[parts.path](query, headers)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture()
def api() -> Iterator[Api]:
    a = Api()
    yield a
    a.server.shutdown()
    a.server.server_close()


ITEMS = [{"id": i} for i in range(1, 8)]


def test_link_pagination_follows_rel_next(api: Api) -> None:
    def page(q: dict[str, list[str]], h: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        at = int(q.get("at", ["0"])[0])
        links = {"Link": f'</items?at={at + 3}>; rel="next", </items?at=0>; rel="first"'} \
            if at + 3 < len(ITEMS) else {}
        return 200, links, {"data": ITEMS[at:at + 3]}

    api.routes["/items"] = page
    assert list(fetch_all(f"{api.base}/items", paginate="link", records="data")) == ITEMS
    assert [q.get("at") for _, q, _ in api.seen] == [None, ["3"], ["6"]]


def test_cursor_pagination_sends_the_cursor_back_until_there_is_none(api: Api) -> None:
    def page(q: dict[str, list[str]], h: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        at = int(q.get("after", ["0"])[0])
        nxt = str(at + 3) if at + 3 < len(ITEMS) else None
        return 200, {}, {"result": {"rows": ITEMS[at:at + 3]}, "meta": {"next": nxt}}

    api.routes["/rows"] = page
    got = list(fetch_all(f"{api.base}/rows", paginate="cursor", records="result.rows",
                         cursor_path="meta.next", cursor_param="after", params={"limit": 3}))
    assert got == ITEMS
    assert [(q.get("after"), q["limit"]) for _, q, _ in api.seen] == [
        (None, ["3"]), (["3"], ["3"]), (["6"], ["3"])]


def test_page_pagination_stops_at_the_first_empty_page(api: Api) -> None:
    api.routes["/p"] = lambda q, h: (200, {}, ITEMS[(int(q["page"][0]) - 1) * 3:int(q["page"][0]) * 3])
    assert list(fetch_all(f"{api.base}/p", paginate="page")) == ITEMS
    assert [q["page"] for _, q, _ in api.seen] == [["1"], ["2"], ["3"], ["4"]]


def test_a_cursor_that_comes_back_is_an_error_not_a_loop(api: Api) -> None:
    api.routes["/loop"] = lambda q, h: (200, {}, {"rows": [1], "next": "same"})
    with pytest.raises(FetchError, match="cursor 'same' came back twice"):
        list(fetch_all(f"{api.base}/loop", paginate="cursor", records="rows", cursor_path="next"))


def test_429_with_retry_after_waits_that_long_then_succeeds(api: Api) -> None:
    calls = iter([(429, {"Retry-After": "7"}, {"error": "slow down"}),
                  (503, {}, {"error": "busy"}), (200, {}, [{"id": 1}])])
    api.routes["/r"] = lambda q, h: next(calls)
    waits: list[float] = []
    got = list(fetch_all(f"{api.base}/r", sleep=waits.append, backoff_s=0.01, max_wait=30))
    assert got == [{"id": 1}]
    assert waits[0] == 7.0 and 0.01 <= waits[1] <= 0.02   # Retry-After, then backoff
    assert len(api.seen) == 3


def test_500s_exhaust_the_retries_into_a_clear_error(api: Api) -> None:
    api.routes["/down"] = lambda q, h: (500, {}, {"error": "db is down"})
    waits: list[float] = []
    with pytest.raises(FetchError, match=r"/down returned HTTP 500 after 4 attempt\(s\).*db is down"):
        list(fetch_all(f"{api.base}/down", retries=3, sleep=waits.append, max_wait=5))
    assert len(api.seen) == 4 and len(waits) == 3 and all(w <= 5 for w in waits)
    api.routes["/gone"] = lambda q, h: (404, {}, {"error": "no such thing"})
    with pytest.raises(FetchError, match="HTTP 404 after 1 attempt") as info:
        list(fetch_all(f"{api.base}/gone", sleep=waits.append))
    assert info.value.status_code == 404


def test_a_server_slower_than_the_timeout_is_retried_then_reported(api: Api) -> None:
    release = threading.Event()

    def stuck(q: dict[str, list[str]], h: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        release.wait(10)
        return 200, {}, []

    api.routes["/slow"] = stuck
    waits: list[float] = []
    try:
        with pytest.raises(FetchError, match=r"/slow failed after 2 attempt\(s\): \w*Timeout"):
            list(fetch_all(f"{api.base}/slow", timeout=0.2, retries=1, sleep=waits.append))
    finally:
        release.set()
    assert len(api.seen) == 2 and len(waits) == 1


def test_retry_after_accepts_an_http_date() -> None:
    assert retry_after("Wed, 21 Oct 2015 07:28:10 GMT", 1445412480.0) == 10.0
    assert retry_after("soon", 0) is None


def test_auth_comes_from_the_connection(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.routes["/v1/me"] = lambda q, h: (200, {}, {"auth": h.get("authorization")})
    port = api.base.rsplit(":", 1)[1]
    monkeypatch.setenv("LEGATO_CONN_BASIC", f"http://ann:s3cret@127.0.0.1:{port}/v1")
    monkeypatch.setenv("LEGATO_CONN_TOKEN", f"http://127.0.0.1:{port}/v1?token=abc")
    monkeypatch.setenv("LEGATO_CONN_PASSWORD_ONLY", f"http://:tok2@127.0.0.1:{port}/v1")
    assert list(fetch_all("me", conn="basic")) == [{"auth": "Basic YW5uOnMzY3JldA=="}]
    assert list(fetch_all("/me", conn="token")) == [{"auth": "Bearer abc"}]
    assert list(fetch_all(f"{api.base}/v1/me", conn="password_only")) == [{"auth": "Bearer tok2"}]


def test_credentials_never_go_in_clear_text_or_to_another_origin(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_CONN_REMOTE", "http://ann:pw@api.example.com/v1?token=t")
    with pytest.raises(ValueError, match=r"refusing to send credentials over plain http to api\.example"):
        list(fetch_all("items", conn="remote"))
    api.routes["/x"] = lambda q, h: (200, {"Link": '<http://evil.example/x>; rel="next"'}, [1])
    with pytest.raises(FetchError, match="another origin"):
        list(fetch_all(f"http://u:p@127.0.0.1:{api.base.rsplit(':', 1)[1]}/x", paginate="link"))
    assert api.seen[0][2]["authorization"].startswith("Basic ")
    with pytest.raises(ValueError, match="paginate must be one of"):
        list(fetch_all(f"{api.base}/x", paginate="offset"))
