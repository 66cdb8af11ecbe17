"""Where OpenLineage events go, chosen by LEGATO_OPENLINEAGE: `console` (JSON lines on
stderr), `file:/path/events.jsonl` (appended JSON lines), `http(s)://host:port` (POST to
`{url}/api/v1/lineage`, Marquez's endpoint, with LEGATO_OPENLINEAGE_API_KEY as a Bearer token).

The engine never waits on any of them: `Emitter.emit` puts the event on a bounded queue and
returns; one daemon thread per target sends. A send that fails (endpoint down, 5xx, a full
disk) is retried with backoff (legato.retrying's Backoff: 0.2 s doubling to 5 s, no jitter: one
sender per target), in order, for as long as the process lives, so an endpoint that comes back
receives everything; only when the queue is full (MAX_QUEUE events waiting) is the oldest event
dropped, counted and logged. At exit the thread gets EXIT_FLUSH_S to drain. A 4xx other than
408/425/429 (legato.httpclient's policy) is the receiver refusing that event: logged and
skipped, not retried. The HTTP target is sent to through legato.httpclient's client (one
connection kept per target), and its URL is shown without credentials.
"""

from __future__ import annotations

import atexit
import json
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..httpclient import client as http_client
from ..httpclient import describe, is_refusal, safe_url
from ..retrying import Backoff

log = logging.getLogger("legato.lineage")
MAX_QUEUE = 10_000
EXIT_FLUSH_S = 5.0
HTTP_TIMEOUT_S = 10.0


class Refused(Exception):
    """The receiver refused this event for good (a 4xx): do not retry it."""


class Sink(Protocol):
    def send(self, event: dict[str, Any]) -> None: ...


class ConsoleSink:
    def send(self, event: dict[str, Any]) -> None:
        sys.stderr.write(json.dumps(event, sort_keys=True) + "\n")
        sys.stderr.flush()


class FileSink:
    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, event: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(event, sort_keys=True) + "\n")


class HttpSink:
    """POSTs to one endpoint; used by its emitter's thread only (the client is not shared)."""

    def __init__(self, base_url: str, api_key: str | None = None) -> None:
        self.url = base_url.rstrip("/") + "/api/v1/lineage"
        self.api_key = api_key
        self._client: Any = None

    def send(self, event: dict[str, Any]) -> None:
        if self._client is None:
            self._client = http_client(timeout=HTTP_TIMEOUT_S)
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        resp = self._client.post(self.url, content=json.dumps(event).encode(), headers=headers)
        if resp.is_success:
            return
        answer = f"{safe_url(self.url)} answered {resp.status_code}: {resp.content[:200]!r}"
        if is_refusal(resp.status_code):
            raise Refused(answer)
        raise OSError(answer)                       # 3xx, 408, 425, 429, 5xx: send it again


def parse_target(target: str, api_key: str | None = None) -> Sink | None:
    """The sink LEGATO_OPENLINEAGE names; None when it is empty (off). Raises ValueError.
    `api_key` (Settings.openlineage_api_key) is the bearer token of an http(s) endpoint."""
    target = target.strip()
    if not target or target.lower() == "off":
        return None
    if target.lower() == "console":
        return ConsoleSink()
    if target.startswith("file:"):
        path = target.removeprefix("file:").removeprefix("//")
        if not path:
            raise ValueError("LEGATO_OPENLINEAGE=file: needs a path, e.g. file:/tmp/events.jsonl")
        return FileSink(Path(path).expanduser())
    if target.startswith(("http://", "https://")):
        return HttpSink(target, api_key or None)
    raise ValueError(f"LEGATO_OPENLINEAGE={target!r}: use console, file:/path/events.jsonl or "
                     f"http(s)://host:port")


class Emitter:
    """A bounded queue and the thread that drains it into `sink`."""

    def __init__(self, sink: Sink, *, retry_min_s: float = 0.2, retry_max_s: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.sink = sink
        self.retry_min_s, self.retry_max_s = retry_min_s, retry_max_s
        self.sleep = sleep
        self.sent = self.dropped = self.refused = 0
        self._queue: deque[dict[str, Any]] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="legato-openlineage", daemon=True)
        self._thread.start()

    def emit(self, events: list[dict[str, Any]]) -> None:
        with self._cond:
            for event in events:
                if len(self._queue) >= MAX_QUEUE:
                    self._queue.popleft()
                    self.dropped += 1
                    if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                        log.warning("OpenLineage queue full: %d events dropped", self.dropped)
                self._queue.append(event)
            self._cond.notify()

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + (1 if self._busy else 0)

    def flush(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for the queue to drain; True if it did."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                event = self._queue[0]
                self._busy = True
            self._deliver(event)
            with self._cond:
                if self._queue and self._queue[0] is event:
                    self._queue.popleft()
                self._busy = False
                self._cond.notify_all()

    def _deliver(self, event: dict[str, Any]) -> None:
        backoff = Backoff(self.retry_min_s, self.retry_max_s, jitter=0)
        failures = 0
        while True:
            try:
                self.sink.send(event)
                self.sent += 1
                return
            except Refused as exc:
                self.refused += 1
                log.error("OpenLineage event refused, skipped: %s", exc)
                return
            except Exception as exc:  # noqa: BLE001 - retried until the receiver is back
                failures += 1
                delay = backoff.delay(failures)
                log.warning("OpenLineage send failed (retrying in %.1fs): %s", delay, describe(exc))
                self.sleep(delay)


_emitters: dict[tuple[str, str | None], Emitter] = {}
_lock = threading.Lock()


def emitter_for(target: str, api_key: str | None = None) -> Emitter | None:
    """One emitter per target (and key) per process (every bus of the process shares it)."""
    sink = parse_target(target, api_key)
    if sink is None:
        return None
    key = (target.strip(), api_key or None)
    with _lock:
        if key not in _emitters:
            _emitters[key] = Emitter(sink)
        return _emitters[key]


@atexit.register
def _drain_at_exit() -> None:
    for emitter in list(_emitters.values()):
        emitter.flush(EXIT_FLUSH_S)
