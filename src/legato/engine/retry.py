"""Retry timing: when the next try of a failed task may start. Pure: takes `now` and a random source.

With exponential backoff the delay doubles per try (retry_delay * 2**(try-1)), is capped by
`max_retry_delay` (as in Airflow, the cap applies only with backoff), and is then jittered
down by up to 20% so that many tasks failing together (an API outage) do not all come back
in the same second. That is the project's one backoff (legato.retrying.Backoff) with Airflow's
numbers: first delay `retry_delay`, cap `max_retry_delay` (none: uncapped), jitter 20%.
Without backoff the delay is `retry_delay` every time, not jittered (Airflow's rule).
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from ..authoring.spec import RetryPolicy
from ..retrying import Backoff

JITTER = 0.2


def should_retry(policy: RetryPolicy, try_number: int) -> bool:
    """`retries=3` allows tries 1..4: a failed try N is retried while N <= retries."""
    return try_number <= policy.retries


def retry_delay_s(policy: RetryPolicy, try_number: int, rng: random.Random) -> float:
    """Seconds to wait after failed try `try_number` (1-based)."""
    if not policy.exponential:
        return max(0.0, policy.delay_s)
    cap = math.inf if policy.max_delay_s is None else policy.max_delay_s
    return max(0.0, Backoff(policy.delay_s, cap, jitter=JITTER).delay(try_number, rng))


def next_try_at(policy: RetryPolicy, try_number: int, now: datetime,
                rng: random.Random) -> datetime | None:
    """When try `try_number + 1` may start, or None if the retries are used up."""
    if not should_retry(policy, try_number):
        return None
    return now + timedelta(seconds=retry_delay_s(policy, try_number, rng))
