"""`BaseSensor`: a task that waits for a condition, poking it every `poke_interval`.

Modes: "poke" holds its worker slot and sleeps between pokes; "reschedule" pokes once per
worker visit and frees the slot in between (the try number is not consumed); "deferrable"
pokes once, then hands a trigger to the triggerer, which waits on one asyncio loop for all
sensors. The timeout runs from the FIRST poke of the task instance; on timeout the sensor
fails without retry (SensorTimeout), or is skipped with `soft_fail=True`.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, ClassVar

from ..authoring.context import Context
from ..authoring.errors import DagDefinitionError, Skip
from ..authoring.task import Task
from .signals import Defer, Reschedule, SensorTimeout

MODES = ("poke", "reschedule", "deferrable")
DEFAULT_TIMEOUT = timedelta(days=7)


def _seconds(value: Any, what: str) -> float:
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise DagDefinitionError(f"{what} must be a timedelta or seconds >= 0, got {value!r}")
    return float(value)


class BaseSensor(Task):
    """Subclasses implement `poke(ctx)`; truthy means done (a non-bool value is the result)."""

    supports_deferral: ClassVar[bool] = True

    def __init__(self, task_id: str, *, poke_interval: timedelta | float = 60,
                 timeout: timedelta | float = DEFAULT_TIMEOUT, soft_fail: bool = False,
                 mode: str = "poke", **task_kwargs: Any) -> None:
        where = f"sensor {task_id!r}"
        if mode not in MODES:
            raise DagDefinitionError(f"{where}: mode must be one of {', '.join(MODES)}, "
                                     f"got {mode!r}")
        if mode == "deferrable" and not self.supports_deferral:
            raise DagDefinitionError(f"{where}: {type(self).__name__} cannot be deferred "
                                     "(use mode='poke' or 'reschedule')")
        self.poke_interval = _seconds(poke_interval, f"{where}: poke_interval")
        self.timeout = _seconds(timeout, f"{where}: timeout")
        self.soft_fail = soft_fail
        self.mode = mode
        super().__init__(task_id, **task_kwargs)

    def poke(self, ctx: Context) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement poke()")

    def trigger(self) -> Any:
        """The trigger to defer on (mode "deferrable")."""
        raise NotImplementedError(f"{type(self).__name__} cannot be deferred")

    def _timed_out(self, first_poke: float) -> None:
        message = (f"sensor timed out: condition not met {time.time() - first_poke:.1f}s "
                   f"after the first poke (timeout {self.timeout:g}s)")
        if self.soft_fail:
            raise Skip(message)
        raise SensorTimeout(message)

    def execute(self, ctx: Context) -> Any:
        first = getattr(ctx, "sensor_first_poke", None) or time.time()
        deadline = first + self.timeout
        while True:
            value = self.poke(ctx)
            if value:
                return None if value is True else value
            now = time.time()
            if now >= deadline:
                self._timed_out(first)
            if self.mode == "reschedule":
                raise Reschedule(min(now + self.poke_interval, deadline), first)
            if self.mode == "deferrable":
                raise Defer(self.trigger(), first, self.timeout, self.soft_fail)
            time.sleep(max(0.0, min(self.poke_interval, deadline - now)))
