"""Transient store faults do not end a long-running loop (the scheduler's, the incident
dispatcher's, the event listener's): a dropped database connection, a server restart or a
full disk pauses the loop and it tries again with backoff.

The waits are legato.retrying's Backoff (0.5 s doubling to 30 s, no jitter: one loop per
process; legato.retrying is standard library only, like the store).

One log line when a fault begins and one when the store answers again (not a traceback per
pass). What a pass had staged but could not commit stays staged in its run's batch and is
committed by the next pass that succeeds, so nothing is lost and nothing acted on before it is
durable. Errors that are not about reaching the store still propagate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import sqlalchemy.exc as sa_exc

from ..retrying import Backoff

log = logging.getLogger("legato.store")
TRANSIENT = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError)


def is_transient(exc: BaseException) -> bool:
    """A fault of reaching or writing the store, expected to clear by itself."""
    if isinstance(exc, TRANSIENT):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


class StoreFaults:
    """Runs one pass at a time, absorbing transient store faults with capped backoff."""

    def __init__(self, first_wait_s: float = 0.5, max_wait_s: float = 30.0,
                 what: str = "store") -> None:
        self.what = what
        self.backoff = Backoff(first_wait_s, max_wait_s, jitter=0)
        self.since: float | None = None          # when the current fault began
        self.in_a_row = 0                        # faults of the current episode
        self.faults = 0                          # faults seen in this process (tests, metrics)

    def guard(self, step: Callable[[], object], stop: threading.Event | None) -> bool:
        """Run `step`; True if it completed. On a transient fault, log (once per episode),
        wait with backoff (ended early by `stop`) and return False."""
        try:
            step()
        except Exception as exc:
            if not is_transient(exc):
                raise
            self._fault(exc)
            wait = self.backoff.delay(self.in_a_row)
            if stop is not None:
                stop.wait(wait)
            else:
                time.sleep(wait)
            return False
        if self.since is not None:
            log.warning("%s: store available again after %.1fs; resuming", self.what,
                        time.monotonic() - self.since)
            self.since, self.in_a_row = None, 0
        return True

    def _fault(self, exc: Exception) -> None:
        self.faults += 1
        self.in_a_row += 1
        if self.since is None:
            self.since = time.monotonic()
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
            log.error("%s: store unavailable (%s: %s); retrying with backoff", self.what,
                      type(exc).__name__, detail)
