"""legato.retrying: the one backoff (table-driven, no I/O) and the retry loop; and the places
that take their delays from it keep the delays they document."""

from __future__ import annotations

import math
import random

import pytest

from legato.retrying import Backoff, call_with_retries


class Fixed(random.Random):
    """A random source that always draws `value`, counting its draws."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value, self.draws = value, 0

    def random(self) -> float:
        self.draws += 1
        return self.value


@pytest.mark.parametrize(("failures", "raw"), [(0, 1.0), (1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0),
                                               (7, 60.0), (500, 60.0), (5000, 60.0)])
def test_the_delay_doubles_to_its_cap(failures: int, raw: float) -> None:
    policy = Backoff(first_s=1.0, max_s=60.0, jitter=0)
    assert policy.raw(failures) == raw
    assert policy.delay(failures) == raw


@pytest.mark.parametrize(("u", "scale"), [(0.0, 1.0), (0.5, 0.75), (0.999999, 0.5)])
def test_jitter_takes_at_most_its_fraction_off(u: float, scale: float) -> None:
    assert Backoff(4.0, 60.0, jitter=0.5).delay(2, Fixed(u)) == pytest.approx(8.0 * scale, rel=1e-5)


def test_without_jitter_no_random_number_is_drawn() -> None:
    rng = Fixed(0.3)
    Backoff(1.0, jitter=0).delay(3, rng)
    assert rng.draws == 0
    Backoff(1.0, jitter=0.2).delay(3, rng)
    assert rng.draws == 1


def test_an_uncapped_policy_never_overflows() -> None:
    assert Backoff(1.0, math.inf, factor=10.0, jitter=0).delay(10_000) == math.inf
    assert Backoff(0.0, math.inf, jitter=0).delay(50) == 0.0


def test_call_with_retries_waits_the_policy_between_tries_then_succeeds() -> None:
    outcomes = iter([OSError("1"), OSError("2"), "done"])
    waits: list[float] = []

    def flaky() -> str:
        out = next(outcomes)
        if isinstance(out, Exception):
            raise out
        return out

    got = call_with_retries(flaky, attempts=5, retry_on=lambda e: isinstance(e, OSError),
                            backoff=Backoff(0.1, 10.0, jitter=0), sleep=waits.append)
    assert got == "done" and waits == [0.1, 0.2]


def test_call_with_retries_raises_the_last_error_or_one_it_does_not_retry() -> None:
    calls: list[int] = []

    def always(exc: Exception) -> None:
        calls.append(1)
        raise exc

    with pytest.raises(OSError, match="third"):
        errors = iter([OSError("first"), OSError("second"), OSError("third")])
        call_with_retries(lambda: always(next(errors)), attempts=3,
                          retry_on=lambda e: True, sleep=lambda s: None)
    assert len(calls) == 3
    with pytest.raises(KeyError):
        call_with_retries(lambda: always(KeyError("no")), attempts=3,
                          retry_on=lambda e: isinstance(e, OSError), sleep=lambda s: None)
    assert len(calls) == 4                                    # not retried


def test_the_places_keep_their_documented_delays() -> None:
    from legato.engine.retry import JITTER
    from legato.incidents.dispatcher import backoff as incident_backoff
    from legato.io import backends, ddl, warehouse
    from legato.store.faults import StoreFaults

    assert JITTER == 0.2
    assert incident_backoff(3, base_s=2.0, max_s=300.0, rng=Fixed(0.0)) == 8.0
    assert [backends.LOCK_BACKOFF.delay(n) for n in (1, 2, 3, 7)] == [0.005, 0.01, 0.02, 0.2]
    assert [ddl.BACKOFF.delay(n) for n in (1, 2, 3)] == [0.005, 0.01, 0.02]
    assert [warehouse.CONFLICT_BACKOFF.delay(n) for n in (1, 2, 3)] == [0.02, 0.04, 0.08]
    assert [StoreFaults().backoff.delay(n) for n in (1, 2, 7, 8)] == [0.5, 1.0, 30.0, 30.0]
