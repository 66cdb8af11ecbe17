"""Task and run states, and which moves between them are legal. Pure: no I/O.

The store keeps state names as plain strings (the enum values), so these names are part of
the stored format and are never renamed.
"""

from __future__ import annotations

from enum import StrEnum

from ..errors import InternalError


class TaskState(StrEnum):
    SCHEDULED = "scheduled"            # created; waiting for its upstream tasks
    QUEUED = "queued"                  # ready, handed to an executor
    RUNNING = "running"                # a worker reported the try started
    SUCCESS = "success"
    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"      # failed; another try at `next_try_at`
    SKIPPED = "skipped"
    UPSTREAM_FAILED = "upstream_failed"
    DEFERRED = "deferred"              # a sensor waiting without holding a worker slot
    REMOVED = "removed"                # the run's DAG version had it; the current one does not


class RunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"            # stopped by an operator: no incident, no failure callback


FINISHED_RUN: frozenset[RunState] = frozenset({RunState.SUCCESS, RunState.FAILED,
                                               RunState.CANCELLED})


FINISHED: frozenset[TaskState] = frozenset(
    {TaskState.SUCCESS, TaskState.FAILED, TaskState.SKIPPED, TaskState.UPSTREAM_FAILED,
     TaskState.REMOVED}
)
FAILED_LIKE: frozenset[TaskState] = frozenset({TaskState.FAILED, TaskState.UPSTREAM_FAILED})

_T = TaskState
ALLOWED: dict[TaskState, frozenset[TaskState]] = {
    _T.SCHEDULED: frozenset({_T.QUEUED, _T.SKIPPED, _T.UPSTREAM_FAILED, _T.FAILED}),
    _T.QUEUED: frozenset({_T.RUNNING, _T.SUCCESS, _T.FAILED, _T.UP_FOR_RETRY, _T.SKIPPED,
                          _T.SCHEDULED}),
    _T.RUNNING: frozenset({_T.SUCCESS, _T.FAILED, _T.UP_FOR_RETRY, _T.SKIPPED, _T.DEFERRED,
                           _T.SCHEDULED}),
    _T.UP_FOR_RETRY: frozenset({_T.QUEUED, _T.FAILED}),
    _T.DEFERRED: frozenset({_T.QUEUED, _T.SUCCESS, _T.FAILED, _T.SKIPPED, _T.UP_FOR_RETRY}),
    _T.SUCCESS: frozenset(),
    _T.FAILED: frozenset(),
    _T.SKIPPED: frozenset(),
    _T.UPSTREAM_FAILED: frozenset(),
    _T.REMOVED: frozenset(),
}


class IllegalTransition(InternalError, ValueError):
    """A move the state machine forbids, e.g. a second success for the same task: a bug in
    Legato, never the user's input (so an API client sees a 500, not a 400)."""


def check_transition(old: TaskState, new: TaskState) -> TaskState:
    """Return `new` if `old -> new` is legal, else raise naming both."""
    if new not in ALLOWED[old]:
        raise IllegalTransition(f"task state cannot go from {old} to {new}")
    return new


def is_finished(state: TaskState) -> bool:
    return state in FINISHED
