"""Fewer garbage collections while runs are driven and DAGs defined.

Driving a run allocates a few dozen small containers per task (requests, events, rows), and
CPython starts a young collection every 700 allocations: at 10,000 tasks the collector took a
fifth of a no-op run's wall time, most of it walking the same long-lived DAG and driver state
again (and defining a 10,000-task DAG in a process that holds others took twice as long as it
does without). For as long as some run is being driven or some `with DAG(...)` block is open,
the young threshold is raised to YOUNG_THRESHOLD: cyclic garbage is still collected, in fewer,
larger passes. The last holder out puts back what was there. A threshold set to 0 (collection
off) or above ours is left alone, and so is one that someone changed meanwhile.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 10_000

_lock = threading.Lock()
_holders = 0
_saved: tuple[int, ...] | None = None     # the thresholds to put back, when we changed them


def hold() -> None:
    """Raise the young-generation threshold until the matching `release` (re-entrant,
    thread-safe: overlapping holders share one raise)."""
    global _holders, _saved
    with _lock:
        if _holders == 0:
            current = gc.get_threshold()
            if 0 < current[0] < YOUNG_THRESHOLD:
                _saved = current
                gc.set_threshold(YOUNG_THRESHOLD, *current[1:])
        _holders += 1


def release() -> None:
    """The last holder out puts back the thresholds it found, unless they changed since."""
    global _holders, _saved
    with _lock:
        _holders -= 1
        if _holders == 0 and _saved is not None:
            if gc.get_threshold()[0] == YOUNG_THRESHOLD:
                gc.set_threshold(*_saved)
            _saved = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """`hold` for the duration of the block."""
    hold()
    try:
        yield
    finally:
        release()
