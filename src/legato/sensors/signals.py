"""What a sensor raises to leave its worker: `Reschedule` (poke again later, in a new slot) and
`Defer` (hand a trigger to the triggerer). The runner turns them into TryFinished states
"rescheduled" and "deferred"; neither consumes a try nor runs callbacks."""

from __future__ import annotations

from typing import Any

from ..authoring.errors import Fail


class SensorTimeout(Fail):
    """The sensor's condition did not hold within its timeout; never retried."""


class Reschedule(Exception):  # control flow, like Skip and Fail
    """Free the worker slot and poke again at `at` (epoch seconds)."""

    def __init__(self, at: float, first_poke: float) -> None:
        super().__init__(f"rescheduled to poke again at {at:.3f}")
        self.at = at
        self.first_poke = first_poke


class Defer(Exception):  # control flow, like Skip and Fail
    """Free the worker slot; the triggerer waits on `trigger` until it fires or times out."""

    def __init__(self, trigger: Any, first_poke: float, timeout_s: float | None,
                 soft_fail: bool) -> None:
        super().__init__(f"deferred on {trigger!r}")
        self.trigger = trigger
        self.first_poke = first_poke
        self.timeout_s = timeout_s
        self.soft_fail = soft_fail
