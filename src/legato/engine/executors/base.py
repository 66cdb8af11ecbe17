"""The executor seam: data in (a TryRequest), data out (TryStarted / TryFinished events).

An executor runs tries somewhere (this thread, a pool, a cluster) and reports what happened;
it never writes state. Everything here is plain, picklable data so the same request can
cross a process or machine boundary. A report carries the try number so the scheduler can
refuse a stale one from a worker it has already given up on.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from ...store.results import StoredValue

TIKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class TryRequest:
    dag_id: str
    fileloc: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    retries: int
    logical_date: str
    data_interval_start: str
    data_interval_end: str
    params: dict[str, Any]
    event: Any
    timeout_s: float | None
    home: str
    database_url: str
    first_poke: float | None = None   # a sensor's first poke (epoch s), kept across reschedules

    @property
    def key(self) -> TIKey:
        return (self.task_id, self.map_index)


@dataclass(frozen=True, slots=True)
class TryStarted:
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    at: float                    # epoch seconds

    @property
    def key(self) -> TIKey:
        return (self.task_id, self.map_index)


class Outcome(StrEnum):
    """How a try ended, as a worker reports it (TryFinished.state); each member equals the
    string it always was, so a report compares and serialises as before."""

    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"
    RESCHEDULED = "rescheduled"      # a sensor pokes again later, without using a try
    DEFERRED = "deferred"            # a sensor waits in the triggerer


@dataclass(frozen=True, slots=True)
class TryFinished:
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    state: str                   # an Outcome
    start: float
    end: float
    error: str | None = None
    error_type: str | None = None
    retryable: bool = True
    result: StoredValue | None = None
    pushed: tuple[tuple[str, StoredValue], ...] = ()
    follow: tuple[str, ...] | None = None      # a branch's chosen downstream tasks
    log_path: str | None = None                # a long try's log file
    log_text: str | None = None                # a short try's whole log (kept in its row)
    log_error: str | None = None               # why the log file could not be written
    reschedule_at: float | None = None         # "rescheduled": poke again at (epoch s)
    trigger: Any = None                        # "deferred": what the triggerer waits on
    first_poke: float | None = None            # a sensor's first poke (epoch s)
    sensor_timeout_s: float | None = None      # "deferred": give up this long after first_poke
    soft_fail: bool = False                    # "deferred": a timeout skips rather than fails
    callback_error: str | None = None          # the try's callback raised (state unchanged)

    @property
    def key(self) -> TIKey:
        return (self.task_id, self.map_index)


class TryCancelled(BaseException):
    """Raised inside a try its executor was asked to stop before any execution_timeout had
    passed (a cancelled or marked run, a run another scheduler adopted): the try reports
    itself failed and is not retried. A BaseException, like KeyboardInterrupt, so that task
    code catching Exception does not swallow it. (Past its execution_timeout a try gets the
    runner's TaskTimeout instead.)"""

    def __init__(self, *args: object) -> None:
        super().__init__(*(args or ("the try was cancelled",)))


def past_timeout(timeout_s: float | None, started: float) -> bool:
    """Whether a try running since `started` (time.monotonic()) is past its execution_timeout:
    a cancel then stops it with TaskTimeout, else with TryCancelled."""
    return timeout_s is not None and time.monotonic() - started >= timeout_s


@dataclass(frozen=True, slots=True)
class Wakeup:
    """Posted to an executor's stream only to end a wait early (a signal asked the driver to
    stop); drivers skip it."""

    run_id: str = ""


TryEvent = TryStarted | TryFinished
StreamEvent = TryStarted | TryFinished | Wakeup      # what an executor's stream carries


class Executor(Protocol):
    """Runs tries and reports their events; never touches the metadata tables."""

    def submit(self, request: TryRequest) -> None: ...

    def events(self, timeout: float) -> list[StreamEvent]:
        """Events since the last call, waiting up to `timeout` seconds for the first."""
        ...

    def cancel(self, run_id: str, key: TIKey) -> None:
        """Ask a running try to stop, best effort: it reports itself failed with TaskTimeout
        if its execution_timeout has passed, else with TryCancelled."""
        ...

    def post(self, event: StreamEvent) -> None:
        """Inject an event into this executor's stream (a triggerer reporting a deferred try's
        outcome); thread-safe, returned by a later `events` call."""
        ...

    def shutdown(self) -> None:
        """Stop, without waiting for tries still in flight (a stopping scheduler leaves them
        to the next one, which adopts their runs): their outcomes may never be reported."""
        ...


def drain(events: queue.SimpleQueue[Any] | queue.Queue[Any], timeout: float) -> list[Any]:
    """Wait up to `timeout` for one event, then take whatever else is already there: the
    scheduler applies a burst of outcomes in one batch instead of one pass each."""
    try:
        out = [events.get(timeout=max(timeout, 0.0))]
    except queue.Empty:
        return []
    while True:
        try:
            out.append(events.get_nowait())
        except queue.Empty:
            return out
