"""A failing event source is polled again after legato.retrying's backoff: twice its poll
interval, doubling, at most MAX_BACKOFF_S; a good poll brings it back to its interval."""

from __future__ import annotations

from typing import Any

from legato.config import load_settings
from legato.events import Queue
from legato.events.listener import MAX_BACKOFF_S, EventListener, _Polled
from legato.store.db import open_engine


class Source:
    interval_s = 2.0

    def __init__(self) -> None:
        self.down = True

    def poll(self, deliver: Any) -> int:
        if self.down:
            raise ConnectionError("broker down")
        return 0


def test_a_failing_source_waits_longer_each_time_up_to_the_cap() -> None:
    listener = EventListener(open_engine(load_settings().database_url), list)
    source = Source()
    polled = _Polled(source)                                  # type: ignore[arg-type]
    listener.sources[("dag", Queue("orders"))] = polled
    waits, now = [], 0.0
    for _ in range(5):
        listener.poll_once(now)
        waits.append(polled.due - now)
        now = polled.due
    assert waits == [4.0, 8.0, 16.0, MAX_BACKOFF_S, MAX_BACKOFF_S]
    source.down = False
    listener.poll_once(now)
    assert polled.due - now == source.interval_s and polled.failures == 0
