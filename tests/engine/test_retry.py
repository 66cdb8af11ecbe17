"""Retry timing: whether to retry, how long to wait, and when the next try may start."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from legato.authoring.spec import RetryPolicy
from legato.engine.retry import next_try_at, retry_delay_s, should_retry

NOW = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)


class FixedRandom(random.Random):
    """A random source whose `random()` always returns `value`."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize(
    ("retries", "try_number", "expected"),
    [
        (0, 1, False),
        (1, 1, True),
        (1, 2, False),
        (3, 1, True),
        (3, 3, True),
        (3, 4, False),
        (3, 10, False),
    ],
)
def test_should_retry_while_try_number_at_most_retries(retries, try_number, expected):
    assert should_retry(RetryPolicy(retries=retries), try_number) is expected


@pytest.mark.parametrize("try_number", [1, 2, 3, 7])
def test_delay_without_backoff_is_constant(try_number):
    policy = RetryPolicy(retries=10, delay_s=45.0, exponential=False)
    assert retry_delay_s(policy, try_number, random.Random(1)) == 45.0
    # and no jitter: whatever the random source says
    assert retry_delay_s(policy, try_number, FixedRandom(0.99)) == 45.0


@pytest.mark.parametrize("try_number", [1, 2, 3, 4, 5, 6])
def test_backoff_doubles_per_try_without_jitter(try_number):
    policy = RetryPolicy(retries=10, delay_s=10.0, exponential=True)
    assert retry_delay_s(policy, try_number, FixedRandom(0.0)) == pytest.approx(
        10.0 * 2 ** (try_number - 1)
    )


@pytest.mark.parametrize("try_number", [1, 2, 3, 4, 5])
def test_backoff_jitter_is_at_most_20_percent_down(try_number):
    policy = RetryPolicy(retries=10, delay_s=10.0, exponential=True)
    base = 10.0 * 2 ** (try_number - 1)
    rng = random.Random(1234)
    delays = [retry_delay_s(policy, try_number, rng) for _ in range(500)]
    assert all(base * 0.8 <= d <= base for d in delays)
    # the jitter is real: delays differ and reach into the lower part of the band
    assert len(set(delays)) > 1
    assert min(delays) < base * 0.85
    assert max(delays) > base * 0.95


def test_backoff_extreme_jitter_values():
    policy = RetryPolicy(retries=5, delay_s=100.0, exponential=True)
    assert retry_delay_s(policy, 1, FixedRandom(0.0)) == pytest.approx(100.0)
    assert retry_delay_s(policy, 1, FixedRandom(0.5)) == pytest.approx(90.0)
    assert retry_delay_s(policy, 1, FixedRandom(0.999999)) == pytest.approx(80.0, abs=1e-3)


def test_backoff_capped_by_max_delay():
    policy = RetryPolicy(retries=20, delay_s=10.0, exponential=True, max_delay_s=60.0)
    # try 3 -> 40 (under the cap); try 4 -> 80 -> 60; try 12 -> huge -> 60
    assert retry_delay_s(policy, 3, FixedRandom(0.0)) == pytest.approx(40.0)
    assert retry_delay_s(policy, 4, FixedRandom(0.0)) == pytest.approx(60.0)
    assert retry_delay_s(policy, 12, FixedRandom(0.0)) == pytest.approx(60.0)
    rng = random.Random(7)
    for try_number in range(4, 15):
        d = retry_delay_s(policy, try_number, rng)
        assert 48.0 <= d <= 60.0


def test_backoff_deterministic_for_seeded_random():
    policy = RetryPolicy(retries=10, delay_s=30.0, exponential=True, max_delay_s=600.0)
    a = [retry_delay_s(policy, n, random.Random(99)) for n in range(1, 8)]
    b = [retry_delay_s(policy, n, random.Random(99)) for n in range(1, 8)]
    assert a == b
    seq_a = random.Random(5)
    seq_b = random.Random(5)
    assert [retry_delay_s(policy, 2, seq_a) for _ in range(20)] == [
        retry_delay_s(policy, 2, seq_b) for _ in range(20)
    ]


def test_next_try_at_none_when_retries_used_up():
    policy = RetryPolicy(retries=2, delay_s=60.0)
    assert next_try_at(policy, 3, NOW, random.Random(0)) is None
    assert next_try_at(RetryPolicy(retries=0), 1, NOW, random.Random(0)) is None


def test_next_try_at_is_now_plus_delay():
    policy = RetryPolicy(retries=2, delay_s=60.0)
    assert next_try_at(policy, 1, NOW, random.Random(0)) == NOW + timedelta(seconds=60)
    assert next_try_at(policy, 2, NOW, random.Random(0)) == NOW + timedelta(seconds=60)


def test_next_try_at_with_backoff_within_band():
    policy = RetryPolicy(retries=5, delay_s=10.0, exponential=True)
    at = next_try_at(policy, 3, NOW, random.Random(3))
    assert at is not None
    assert NOW + timedelta(seconds=32) <= at <= NOW + timedelta(seconds=40)
    assert next_try_at(policy, 3, NOW, FixedRandom(0.0)) == NOW + timedelta(seconds=40)


def test_max_delay_applies_only_with_backoff_as_in_airflow():
    import random as _random

    from legato.engine.retry import retry_delay_s as _delay

    policy = RetryPolicy(retries=3, delay_s=120.0, exponential=False, max_delay_s=60.0)
    assert _delay(policy, 1, _random.Random(0)) == 120.0
