"""One retry policy: exponential backoff with jitter, and a loop that retries a call.

Every place that waits before trying again (a store read in a worker, an incident delivery,
an OpenLineage send, an HTTP page, a warehouse load) takes its delays from `Backoff`, so the
shape of a retry storm is decided here once: the delay doubles from `first_s`, is capped at
`max_s`, and is jittered (a random fraction `jitter` is taken off) so that many clients
failing together do not come back in the same instant. Pure apart from `sleep`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    first_s: float = 0.2
    max_s: float = 30.0
    factor: float = 2.0
    jitter: float = 0.5        # the delay is scaled by a random value in [1 - jitter, 1)

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the `failures`-th failure in a row (1-based)."""
        raw = min(self.max_s, self.first_s * self.factor ** max(0, failures - 1))
        return raw * (1.0 - self.jitter * (rng or random).random())


def call_with_retries(fn: Callable[[], T], *, attempts: int, retry_on: Callable[[Exception], bool],
                      backoff: Backoff = Backoff(), sleep: Callable[[float], None] = time.sleep,
                      rng: random.Random | None = None) -> T:
    """`fn()`, tried up to `attempts` times while it raises an error `retry_on` accepts; the
    last error is raised."""
    for failures in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if failures == attempts or not retry_on(exc):
                raise
            sleep(backoff.delay(failures, rng))
    raise AssertionError("unreachable")                      # pragma: no cover
