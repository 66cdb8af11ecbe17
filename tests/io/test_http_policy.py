"""`legato.io.fetch_all` follows legato.httpclient's one status policy (408, 425, 429 and every
5xx are sent again; another 4xx fails at once) and legato.retrying's backoff, against a real
local server; its requests carry Legato's User-Agent."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import legato
from legato.io.http import FetchError, fetch_all


class Api:
    """Answers GET /<path> with routes[path]() -> (status, body); records request headers."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[], tuple[int, Any]]] = {}
        self.headers: list[dict[str, str]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.headers.append({k.lower(): v for k, v in self.headers.items()})
                status, body = api.routes[self.path]()
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture
def api() -> Iterator[Api]:
    server = Api()
    yield server
    server.server.shutdown()
    server.server.server_close()
    server.thread.join(5)


@pytest.mark.parametrize("status", [408, 425, 429, 500, 501, 503, 504])
def test_a_transient_answer_is_sent_again(api: Api, status: int) -> None:
    answers = iter([(status, {"error": "later"}), (200, [{"id": 1}])])
    api.routes["/r"] = lambda: next(answers)
    waits: list[float] = []
    assert list(fetch_all(f"{api.base}/r", sleep=waits.append, backoff_s=0.4)) == [{"id": 1}]
    assert len(waits) == 1 and 0.2 <= waits[0] <= 0.4          # backoff_s, up to half off
    assert api.headers[0]["user-agent"] == f"legato/{legato.__version__}"


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_another_4xx_fails_at_once(api: Api, status: int) -> None:
    api.routes["/r"] = lambda: (status, {"error": "no"})
    waits: list[Any] = []
    with pytest.raises(FetchError, match=f"HTTP {status} after 1 attempt"):
        list(fetch_all(f"{api.base}/r", sleep=waits.append))
    assert waits == []
