"""Waiting in tests without fixed sleeps: poll a condition until it holds or a deadline passes.

`eventually(check)` returns check's first truthy value, or fails naming what was awaited and
whatever `explain()` adds (a log tail, the store's state); with `alive`, it fails at once if
that process exits meanwhile. Negative checks ("X never happens") do not sleep either: they
wait for an event that proves the system moved past the point where X would have happened.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout_s: float = 60.0, *, what: str = "the condition",
               alive: subprocess.Popen | None = None, explain: Callable[[], str] | None = None,
               interval_s: float = 0.02) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if alive is not None and alive.poll() is not None:
            raise AssertionError(f"the process exited ({alive.returncode}) while waiting for "
                                 f"{what}{_more(explain)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s:g}s{_more(explain)}")
        time.sleep(interval_s)


def _more(explain: Callable[[], str] | None) -> str:
    return f"\n{explain()}" if explain is not None else ""
