"""Live pages over server-sent events: one shared computation per topic, whatever the number
of open pages.

A page names its live JSON (`<main data-poll="/ui/api/runs/abc">`); legato.js opens
`/ui/api/live?topic=<that URL>` (an EventSource) and applies each event as it applied a poll
answer before. The hub keeps one entry per topic with subscribers: about once a second (less
often for a topic that is slow to compute: never more than ~5% of a core each), it builds the
topic's payload in the hub's one worker thread and sends each subscriber only what changed
(`runs`, `cells`, `items` and `counts` entries), nothing when nothing did. Twenty pages on
one grid cost one grid query a second, not twenty; a page costs one request per stream.

Two guards keep the cost flat when nothing happens: a store-wide version (SQLite's
`PRAGMA data_version` on a held connection; on PostgreSQL the current snapshot, which moves
with every commit) skips recomputing topics that only read the database; file topics (a
log's size) are re-read every tick.

Streams end after MAX_STREAM_S (the browser reconnects at once, re-checking the session, so a
revoked token loses its live pages within a minute) and as soon as the process is asked to
stop: uvicorn waits for open responses before it exits and tells the app nothing, so the hub
chains the SIGINT/SIGTERM handler uvicorn installed (main thread only) to end its streams.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from starlette.routing import compile_path

from ...config import Settings
from ...errors import InvalidInput
from ...services import ui_live

TICK_S = 1.0
MAX_STREAM_S = 55.0
MAX_SHARE = 0.05                      # of the hub thread's time one topic may take
DIFFED = ("runs", "cells", "items", "counts")
Builder = Callable[[dict[str, str], dict[str, str]], dict[str, Any]]


@dataclass
class _Route:
    pattern: Any
    convertors: dict[str, Any]
    build: Builder
    reads_files: bool


@dataclass
class Topic:
    url: str
    build: Callable[[], dict[str, Any]]
    reads_files: bool
    subscribers: set[asyncio.Queue[str | None]] = field(default_factory=set)
    last: dict[str, Any] | None = None
    seen_version: Any = None
    due: float = 0.0
    cost_s: float = 0.0
    computing: asyncio.Task[None] | None = None     # the refresh in flight, shared by all waiters


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any] | None:
    """What a subscriber that has `old` needs to reach `new`; None if nothing changed."""
    if old is None:
        return new
    out: dict[str, Any] = {}
    for key, value in new.items():
        if key in DIFFED and isinstance(value, dict) and isinstance(old.get(key), dict):
            before = old[key]
            changed = {k: v for k, v in value.items() if before.get(k) != v}
            if changed:
                out[key] = changed
        elif old.get(key) != value:
            out[key] = value
    return out or None


class LiveHub:
    """The topics of one app and their subscribers; see the module docstring."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.routes: list[_Route] = []
        self.topics: dict[str, Topic] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="legato-live")
        self._versions = ui_live.StoreVersion(settings.database_url)
        self._task: asyncio.Task[None] | None = None
        self._closing: asyncio.Event | None = None
        self._chained = False
        self.computed = 0                       # topic payloads built (for the benchmark)

    def register(self, path: str, build: Builder, *, reads_files: bool = False) -> None:
        """Serve the JSON URL pattern `path` (e.g. "/ui/api/runs/{run_id}") live."""
        pattern, _, convertors = compile_path(path)
        self.routes.append(_Route(pattern, convertors, build, reads_files))

    def resolve(self, url: str) -> Topic:
        """The topic of a page's JSON URL; ValueError for a URL no page polls."""
        if url in self.topics:
            return self.topics[url]
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            raise InvalidInput("topic must be a path of this UI")
        query = dict(parse_qsl(parts.query))
        for route in self.routes:
            match = route.pattern.match(parts.path)
            if match:
                params = {k: route.convertors[k].convert(unquote(v)) for k, v in match.groupdict().items()}
                return Topic(url, lambda r=route, p=params: r.build(p, query), route.reads_files)
        raise InvalidInput(f"no live page at {parts.path!r}")

    # -- streams ----------------------------------------------------------------------------
    async def stream(self, topic: Topic, last_event_id: str | None) -> AsyncIterator[str]:
        """The text/event-stream of one page: the current payload, then the changes."""
        self._start()
        assert self._closing is not None
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=64)
        topic = self.topics.setdefault(topic.url, topic)
        ends = time.monotonic() + MAX_STREAM_S
        try:
            yield "retry: 1000\n\n"
            if topic.last is None:
                await self._refresh(topic)                # shared with any page that asks meanwhile
            topic.subscribers.add(queue)          # from here on it gets every change
            if topic.last is not None and last_event_id != _version(topic.last):
                yield _event(topic.last)
            while not self._closing.is_set() and time.monotonic() < ends:
                try:
                    message = await asyncio.wait_for(queue.get(), timeout=min(15.0, ends - time.monotonic()))
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if message is None:
                    break
                yield message
        finally:
            topic.subscribers.discard(queue)
            if not topic.subscribers:
                self.topics.pop(topic.url, None)

    def _start(self) -> None:
        if self._closing is None:
            self._closing = asyncio.Event()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        self._chain_signals()

    def _chain_signals(self) -> None:
        if self._chained or threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(sig)
            if not callable(previous):
                continue

            def handler(signum: int, frame: Any, previous: Callable[..., Any] = previous) -> None:
                loop.call_soon_threadsafe(self.close)
                previous(signum, frame)
            signal.signal(sig, handler)
        self._chained = True

    def close(self) -> None:
        """End every stream now (the browsers reconnect to whichever server answers next)."""
        if self._closing is not None:
            self._closing.set()
        for topic in self.topics.values():
            for queue in topic.subscribers:
                _offer(queue, None)

    # -- the loop ---------------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._closing is not None
        loop = asyncio.get_running_loop()
        while self.topics and not self._closing.is_set():
            started = time.monotonic()
            version = await loop.run_in_executor(self._pool, self._versions.current)
            for topic in list(self.topics.values()):
                if topic.due > started or (not topic.reads_files and version is not None
                                            and version == topic.seen_version):
                    continue
                topic.seen_version = version
                await self._refresh(topic)
            await asyncio.sleep(max(0.05, TICK_S - (time.monotonic() - started)))

    async def _refresh(self, topic: Topic) -> None:
        """Compute the topic once, however many pages and ticks ask at the same time."""
        if topic.computing is None or topic.computing.done():
            topic.computing = asyncio.get_running_loop().create_task(self._compute(topic))
        await asyncio.shield(topic.computing)

    async def _compute(self, topic: Topic) -> None:
        loop = asyncio.get_running_loop()
        t0 = time.monotonic()
        try:
            payload = await loop.run_in_executor(self._pool, topic.build)
        except Exception:  # noqa: BLE001 - a vanished run or DAG: the page shows it on reload
            payload = {"gone": True}
        self.computed += 1
        topic.cost_s = time.monotonic() - t0
        topic.due = t0 + max(TICK_S, topic.cost_s / MAX_SHARE) - 0.05
        change = diff(topic.last, payload)
        topic.last = payload
        if change is None:
            return
        message = _event(change, _version(payload))
        for queue in list(topic.subscribers):
            _offer(queue, message)


def _version(payload: dict[str, Any]) -> str:
    import hashlib

    return hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _event(data: dict[str, Any], event_id: str | None = None) -> str:
    event_id = event_id or _version(data)
    return f"id: {event_id}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"


def _offer(queue: asyncio.Queue[str | None], message: str | None) -> None:
    """Queue a message; a subscriber too slow to keep up is ended (it reconnects afresh)."""
    try:
        queue.put_nowait(message)
    except asyncio.QueueFull:
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)
