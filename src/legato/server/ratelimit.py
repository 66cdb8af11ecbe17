"""A per-client rate limit, kept in memory (one server process).

Sliding-window log: for each client we keep the monotonic times of its requests inside the
last `window` seconds; a request is allowed while fewer than `limit` are kept. When refused,
`Retry-After` is the whole seconds until the oldest kept request leaves the window (>= 1).
A lock makes it safe from any thread; memory is bounded by `limit` times per active client,
and idle clients are swept out now and then.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_LIMIT = 2000
DEFAULT_WINDOW = 300.0
ENV_VAR = "LEGATO_RATE_LIMIT"
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class RateLimit:
    limit: int
    window: float


def parse_rate_limit(text: str | None) -> RateLimit:
    """`"N/SECONDS"` (e.g. `"2000/300"`); None or blank means the default 2000 per 5 minutes."""
    if text is None or not text.strip():
        return RateLimit(DEFAULT_LIMIT, DEFAULT_WINDOW)
    m = _SPEC.match(text)
    if not m or int(m.group(1)) < 1 or float(m.group(2)) <= 0:
        raise ValueError(f"{ENV_VAR} must look like N/SECONDS with N >= 1 and SECONDS > 0, not {text!r}")
    return RateLimit(int(m.group(1)), float(m.group(2)))


class SlidingWindowLimiter:
    def __init__(self, rate: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}
        self._next_sweep = clock() + rate.window

    def hit(self, key: str) -> int | None:
        """Count a request by `key`; None if allowed, else the seconds to wait (Retry-After)."""
        now = self._clock()
        horizon = now - self.rate.window
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(horizon)
                self._next_sweep = now + self.rate.window
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= horizon:
                hits.popleft()
            if len(hits) >= self.rate.limit:
                return max(1, math.ceil(hits[0] + self.rate.window - now))
            hits.append(now)
            return None

    def _sweep(self, horizon: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= horizon]:
            del self._hits[key]
