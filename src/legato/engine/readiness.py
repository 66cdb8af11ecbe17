"""Trigger rules: from the states of a task's upstream instances, what happens to it. Pure.

Semantics follow Airflow's, including its early decisions: under `all_success` one failed
upstream marks the task `upstream_failed` at once rather than waiting for the others.
A task with no upstream is ready at once, whatever its rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .states import TaskState


class Decision(StrEnum):
    WAIT = "wait"
    RUN = "run"
    SKIP = "skip"
    UPSTREAM_FAILED = "upstream_failed"


@dataclass(frozen=True, slots=True)
class UpstreamCounts:
    total: int = 0
    success: int = 0
    failed: int = 0            # failed or upstream_failed
    skipped: int = 0

    @property
    def done(self) -> int:
        return self.success + self.failed + self.skipped

    @property
    def all_done(self) -> bool:
        return self.done == self.total

    @classmethod
    def of(cls, states: Iterable[TaskState]) -> UpstreamCounts:
        total = success = failed = skipped = 0
        for s in states:
            total += 1
            if s is TaskState.SUCCESS:
                success += 1
            elif s is TaskState.FAILED or s is TaskState.UPSTREAM_FAILED:
                failed += 1
            elif s is TaskState.SKIPPED:
                skipped += 1
        return cls(total, success, failed, skipped)


D = Decision


def _all_success(c: UpstreamCounts) -> Decision:
    if c.failed:
        return D.UPSTREAM_FAILED
    if c.skipped:
        return D.SKIP
    return D.RUN if c.success == c.total else D.WAIT


def _all_failed(c: UpstreamCounts) -> Decision:
    if c.success or c.skipped:
        return D.SKIP
    return D.RUN if c.failed == c.total else D.WAIT


def _all_done(c: UpstreamCounts) -> Decision:
    return D.RUN if c.all_done else D.WAIT


def _one_success(c: UpstreamCounts) -> Decision:
    if c.success:
        return D.RUN
    if not c.all_done:
        return D.WAIT
    return D.UPSTREAM_FAILED if c.failed else D.SKIP


def _one_failed(c: UpstreamCounts) -> Decision:
    if c.failed:
        return D.RUN
    return D.SKIP if c.all_done else D.WAIT


def _none_failed(c: UpstreamCounts) -> Decision:
    if c.failed:
        return D.UPSTREAM_FAILED
    return D.RUN if c.all_done else D.WAIT


def _none_failed_min_one_success(c: UpstreamCounts) -> Decision:
    if c.failed:
        return D.UPSTREAM_FAILED
    if not c.all_done:
        return D.WAIT
    return D.RUN if c.success else D.SKIP


def _none_skipped(c: UpstreamCounts) -> Decision:
    if c.skipped:
        return D.SKIP
    return D.RUN if c.all_done else D.WAIT


def _always(c: UpstreamCounts) -> Decision:
    return D.RUN


RULES = {
    "all_success": _all_success,
    "all_failed": _all_failed,
    "all_done": _all_done,
    "one_success": _one_success,
    "one_failed": _one_failed,
    "none_failed": _none_failed,
    "none_failed_min_one_success": _none_failed_min_one_success,
    "none_skipped": _none_skipped,
    "always": _always,
}


def decide(rule: str, upstream: UpstreamCounts) -> Decision:
    """What to do with a task under `rule`, given its upstream instances' states."""
    check = RULES[rule]
    return D.RUN if upstream.total == 0 else check(upstream)
