"""Waiting in tests without fixed sleeps: poll a condition until it holds or a deadline passes.

`eventually(check)` returns check's first truthy value, or fails naming what was awaited and
whatever `explain()` adds (a log tail, the store's state); with `alive` (one process or
several), it fails at once if one of them exits meanwhile; with `step` (say, a scheduler's
`tick`), it calls that between checks instead of sleeping, so a test drives the system itself.
`answers(url)` is the usual check for a server starting up; `then_in_thread(check, action)`
does `action` from a thread once `check` holds (a stand-in changing under a sensor's pokes).

Negative checks ("X never happens") do not sleep either: they wait for an event that proves
the system moved past the point where X would have happened (a later run finished, a poll
that found a later file, N scheduler ticks).

This is the tests' one wait loop: a test needing another way to wait extends it here.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
Processes = subprocess.Popen | Iterable[subprocess.Popen] | None


def eventually(check: Callable[[], T], timeout_s: float = 60.0, *, what: str = "the condition",
               alive: Processes = None, explain: Callable[[], str] | None = None,
               interval_s: float = 0.02, step: Callable[[], object] | None = None) -> T:
    procs = _processes(alive)
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"the process {proc.pid} exited ({proc.returncode}) while "
                                     f"waiting for {what}{_more(explain)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s:g}s{_more(explain)}")
        if step is not None:
            step()
        else:
            time.sleep(interval_s)


def then_in_thread(check: Callable[[], object], action: Callable[[], object],
                   timeout_s: float = 10.0, *, what: str = "the condition") -> threading.Thread:
    """Start a thread that waits for `check`, then does `action`; join it after the run. If
    `check` never holds the thread ends with the time-out and `action` is not done (the test
    then fails on what the action should have caused)."""
    def wait_then_act() -> None:
        eventually(check, timeout_s, what=what)
        action()

    thread = threading.Thread(target=wait_then_act, daemon=True)
    thread.start()
    return thread


def answers(url: str, timeout_s: float = 2.0) -> bool:
    """Whether GET `url` answers 200 now (False while the server is not listening yet)."""
    import httpx

    try:
        return httpx.get(url, timeout=timeout_s).status_code == 200
    except httpx.TransportError:
        return False


def _processes(alive: Processes) -> list[subprocess.Popen]:
    if alive is None:
        return []
    return [alive] if isinstance(alive, subprocess.Popen) else list(alive)


def _more(explain: Callable[[], str] | None) -> str:
    return f"\n{explain()}" if explain is not None else ""
