"""The OpenLineage HTTP target through legato.httpclient, against a real local server: which
answers are refused for good and which are sent again (the shared status policy), the
emitter's waits (legato.retrying), and no credentials in what is logged."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import legato
from legato.lineage.transport import Emitter, HttpSink, Refused


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[int], list[dict[str, str]]]]:
    """A server answering each POST with the next status of `statuses` (then 201)."""
    statuses: list[int] = []
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(statuses.pop(0) if statuses else 201)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"no")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", statuses, seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.mark.parametrize(("status", "refused"), [(400, True), (404, True), (409, True),
                                                 (408, False), (425, False), (429, False),
                                                 (500, False), (503, False)])
def test_a_4xx_is_refused_and_the_rest_sent_again(endpoint: Any, status: int, refused: bool) -> None:
    url, statuses, seen = endpoint
    base = url.replace("http://", "http://marquez:pw@")            # credentials in the target
    statuses.append(status)
    with pytest.raises(Refused if refused else OSError) as info:
        HttpSink(base, api_key="k").send({"eventType": "START"})
    assert f"answered {status}" in str(info.value) and "pw" not in str(info.value)
    HttpSink(url, api_key="k").send({"eventType": "START"})        # then 201: delivered
    assert seen[-1]["authorization"] == "Bearer k"
    assert seen[-1]["user-agent"] == f"legato/{legato.__version__}"


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures, self.sent = failures, []

    def send(self, event: dict[str, Any]) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError("endpoint down")
        self.sent.append(event)


def test_the_emitter_waits_double_to_the_cap_then_delivers_in_order() -> None:
    waits: list[float] = []
    sink = Flaky(failures=7)
    emitter = Emitter(sink, sleep=waits.append)
    emitter.emit([{"n": 1}, {"n": 2}])
    assert emitter.flush(10)
    assert sink.sent == [{"n": 1}, {"n": 2}]
    assert waits == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]


def test_the_api_key_comes_from_settings_not_the_environment(
        monkeypatch: pytest.MonkeyPatch, endpoint: tuple[str, list[int], list[dict[str, str]]]) -> None:
    """The listener hands the emitter Settings.openlineage_api_key (config.py is the one reader
    of LEGATO_* variables): a key in the Settings it is given is sent, whatever the process's
    environment says."""
    from dataclasses import replace

    from legato.config import load_settings
    from legato.engine.bus import Bus
    from legato.lineage.listener import attach

    url, _, seen = endpoint
    monkeypatch.setenv("LEGATO_OPENLINEAGE_API_KEY", "from-the-environment")
    settings = replace(load_settings(), openlineage=url, openlineage_api_key="from-settings")
    listener = attach(Bus(), settings)
    assert listener.emitter is not None
    listener.emitter.emit([{"eventType": "START"}])
    assert listener.flush(10.0)
    assert seen[-1]["authorization"] == "Bearer from-settings"
