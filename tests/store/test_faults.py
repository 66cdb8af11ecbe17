"""store/faults.py: a loop's store outage waits legato.retrying's backoff (0.5 s doubling to
30 s), and the next outage after a success starts from the first wait again."""

from __future__ import annotations

import pytest
import sqlalchemy.exc as sa_exc

from legato.store.faults import StoreFaults


class Stop:
    """A stand-in for the loop's stop event that records each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def wait(self, timeout: float) -> bool:
        self.waits.append(timeout)
        return False


def _down() -> None:
    raise sa_exc.OperationalError("SELECT 1", {}, Exception("connection refused"))


def test_waits_double_to_the_cap_and_start_over_after_a_success() -> None:
    faults, stop = StoreFaults(what="test"), Stop()
    assert [faults.guard(_down, stop) for _ in range(9)] == [False] * 9    # type: ignore[arg-type]
    assert stop.waits == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert faults.guard(lambda: None, stop) is True                        # type: ignore[arg-type]
    assert faults.guard(_down, stop) is False                              # type: ignore[arg-type]
    assert stop.waits[-1] == 0.5 and faults.faults == 10


def test_an_error_that_is_not_about_the_store_propagates() -> None:
    def bug() -> None:
        raise KeyError("a bug")

    stop = Stop()
    with pytest.raises(KeyError):
        StoreFaults().guard(bug, stop)                                     # type: ignore[arg-type]
    assert stop.waits == []
