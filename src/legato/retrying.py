"""One retry policy: exponential backoff with jitter, and a loop that retries a call.

Every place that waits before trying again takes its delays from `Backoff`, so the shape of a
retry storm is decided here once: the delay after the n-th failure in a row is
`first_s * factor**(n-1)`, capped at `max_s`, then jittered down by a random fraction of at
most `jitter` so that many clients failing together do not come back in the same instant.
The places and their policies (each keeps the delays it documents):

| where | first | cap | jitter |
| --- | --- | --- | --- |
| a task's retries with `retry_exponential_backoff` (engine/retry.py) | retry_delay | max_retry_delay | 20% |
| a worker's store reads (engine/runner.py) | 0.2 s | 30 s | 50% |
| incident deliveries (incidents/dispatcher.py) | 2 s | 300 s | 50% |
| `legato.io.fetch_all` (io/http.py) | backoff_s | max_wait | 50% |
| OpenLineage sends (lineage/transport.py) | 0.2 s | 5 s | none |
| a loop's store outage (store/faults.py) | 0.5 s | 30 s | none |
| an event source's outage (events/listener.py) | 2 x its poll interval | 30 s | none |
| warehouse and destination write conflicts, racing CREATE TABLEs (io/, quality/) | 5-20 ms | - | none |

Stdlib only and pure apart from `sleep`, so every layer (the store included) may import it.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    first_s: float = 0.2
    max_s: float = 30.0         # math.inf: no cap
    factor: float = 2.0
    jitter: float = 0.5         # the delay is scaled by 1 - jitter * u, u uniform in [0, 1)

    def raw(self, failures: int) -> float:
        """The delay after the `failures`-th failure in a row (1-based), before jitter."""
        try:
            grown = self.first_s * self.factor ** max(0, failures - 1)
        except OverflowError:
            grown = math.inf
        return min(self.max_s, grown)

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the `failures`-th failure in a row (1-based). Without jitter
        no random number is drawn (a seeded source stays where it was)."""
        raw = self.raw(failures)
        if not self.jitter:
            return raw
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
