"""OpenLineage events from real runs: to a file, and to a real HTTP server on 127.0.0.1 that
is down when the run happens and comes back later (nothing is lost while the process lives)."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from lhelpers import PRODUCER, load, write

from legato.lineage.transport import emitter_for, parse_target
from waiting import eventually

DEADLINE_S = 30


def test_events_to_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = f"file:{tmp_path / 'ol' / 'events.jsonl'}"
    monkeypatch.setenv("LEGATO_OPENLINEAGE", target)
    flaky = "if ctx.try_number == 1: raise RuntimeError('flaky')"
    run = load(write(tmp_path, "producer", PRODUCER, RETRIES=1, FAIL_BLOCK=flaky)).run()
    assert run.state == "success"
    assert emitter_for(target).flush(DEADLINE_S)
    events = [json.loads(line) for line in (tmp_path / "ol" / "events.jsonl").read_text().splitlines()]
    assert [e["eventType"] for e in events] == ["START", "FAIL", "START", "COMPLETE"]
    first, second = events[0]["run"]["runId"], events[2]["run"]["runId"]
    assert first == events[1]["run"]["runId"] and second == events[3]["run"]["runId"] != first
    uuid.UUID(first)
    done = events[3]
    assert done["job"] == {"namespace": "legato", "name": "sales_producer.load"}
    assert done["inputs"] == [{"namespace": "s3://raw", "name": "orders.csv"}]
    (out,) = done["outputs"]
    assert (out["namespace"], out["name"]) == ("duckdb://warehouse", "sales.daily")
    assert out["facets"]["schema"]["fields"] == [{"name": "day", "type": "string"},
                                                 {"name": "total", "type": "number"}]
    assert events[1]["run"]["facets"]["errorMessage"]["message"] == "RuntimeError: flaky"
    assert done["run"]["facets"]["parent"]["job"]["name"] == "sales_producer"


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:  # http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                    "type": self.headers.get("Content-Type"),
                                    "event": json.loads(body)})
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def collector() -> Iterator[tuple[int, Any]]:
    port = _free_port()
    servers: list[ThreadingHTTPServer] = []

    def start() -> list[dict[str, Any]]:
        handler = type("Handler", (_Collector,), {"received": []})
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return handler.received

    yield port, start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_http_endpoint_down_then_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      collector: tuple[int, Any]) -> None:
    port, start = collector
    target = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("LEGATO_OPENLINEAGE", target)
    monkeypatch.setenv("LEGATO_OPENLINEAGE_API_KEY", "s3cret")      # read by Settings only
    emitter = emitter_for(target, "s3cret")                   # the one the run's listener gets
    emitter.retry_min_s = emitter.retry_max_s = 0.1           # keep the test quick
    run = load(write(tmp_path, "producer", PRODUCER)).run()   # nobody listens yet
    assert run.state == "success"                             # the engine did not wait
    assert emitter.pending() >= 1
    received = start()
    eventually(lambda: len(received) >= 2, DEADLINE_S,
               what="both events after the endpoint came back")
    assert emitter.flush(DEADLINE_S)
    assert [r["event"]["eventType"] for r in received] == ["START", "COMPLETE"]
    for r in received:
        assert r["path"] == "/api/v1/lineage" and r["auth"] == "Bearer s3cret"
        assert r["type"] == "application/json"
        assert r["event"]["job"]["name"] == "sales_producer.load"
        assert r["event"]["schemaURL"].startswith("https://openlineage.io/spec/2-0-2/")


def test_bad_target_is_named() -> None:
    with pytest.raises(ValueError, match="LEGATO_OPENLINEAGE='kafka://x'"):
        parse_target("kafka://x")
    assert parse_target("") is None
