"""Trigger rules: from the states of a task's upstream instances, what happens to it. Pure.

Semantics follow Airflow's (all 13 of its rules, from its TriggerRuleDep), including its early
decisions: under `all_success` one failed upstream marks the task `upstream_failed` at once
rather than waiting for the others, and under `all_done_min_one_success` one skipped upstream
skips the task. A task with no upstream is ready at once, whatever its rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from ..authoring.trigger_rules import TriggerRule
from .states import TaskState


class Decision(StrEnum):
    WAIT = "wait"
    RUN = "run"
    SKIP = "skip"
    UPSTREAM_FAILED = "upstream_failed"


@dataclass(frozen=True, slots=True)
class UpstreamCounts:
    """Upstream instances by state. `failed` counts failed AND upstream_failed (most rules treat
    them alike); `upstream_failed` is the part of it that never ran (`one_done` ignores it).
    `setups`, `setup_success` and `setup_skipped` count the upstream instances that are setup
    tasks (for `all_done_setup_success`)."""

    total: int = 0
    success: int = 0
    failed: int = 0            # failed or upstream_failed
    skipped: int = 0
    upstream_failed: int = 0
    setups: int = 0
    setup_success: int = 0
    setup_skipped: int = 0

    @property
    def done(self) -> int:
        return self.success + self.failed + self.skipped

    @property
    def all_done(self) -> bool:
        return self.done == self.total

    @property
    def only_failed(self) -> int:
        """Upstream instances that ran and failed (not upstream_failed)."""
        return self.failed - self.upstream_failed

    @classmethod
    def of(cls, states: Iterable[TaskState],
           setups: Iterable[TaskState] = ()) -> UpstreamCounts:
        """Counts of `states`; `setups` are the states of those upstream instances that are
        setup tasks (a subset of `states`, counted again here)."""
        total = success = failed = skipped = upstream_failed = 0
        for s in states:
            total += 1
            if s is TaskState.SUCCESS:
                success += 1
            elif s is TaskState.FAILED:
                failed += 1
            elif s is TaskState.UPSTREAM_FAILED:
                failed += 1
                upstream_failed += 1
            elif s is TaskState.SKIPPED:
                skipped += 1
        n_setups = setup_success = setup_skipped = 0
        for s in setups:
            n_setups += 1
            setup_success += s is TaskState.SUCCESS
            setup_skipped += s is TaskState.SKIPPED
        return cls(total, success, failed, skipped, upstream_failed, n_setups, setup_success,
                   setup_skipped)


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


def _all_done_setup_success(c: UpstreamCounts) -> Decision:
    """A teardown's rule: once all upstream are done, run if at least one upstream setup
    succeeded (or there is none); skip if every setup skipped; else upstream_failed."""
    if not c.all_done:
        return D.WAIT
    if c.setups and c.setup_skipped >= c.setups:
        return D.SKIP
    if c.setups and not c.setup_success:
        return D.UPSTREAM_FAILED
    return D.RUN


def _all_done_min_one_success(c: UpstreamCounts) -> Decision:
    """Skipped upstreams do not count as done: any skip skips the task (as Airflow does)."""
    if c.skipped:
        return D.SKIP
    if c.done < c.total:
        return D.WAIT
    return D.RUN if c.success else D.UPSTREAM_FAILED


def _all_skipped(c: UpstreamCounts) -> Decision:
    if c.success or c.failed:
        return D.SKIP
    return D.RUN if c.skipped == c.total else D.WAIT


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


def _one_done(c: UpstreamCounts) -> Decision:
    """One upstream succeeded or failed (an upstream_failed one never ran, so it is not one)."""
    if c.success or c.only_failed:
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


RULES: dict[str, Callable[[UpstreamCounts], Decision]] = {   # one decision per TriggerRule
    TriggerRule.ALL_SUCCESS: _all_success,
    TriggerRule.ALL_FAILED: _all_failed,
    TriggerRule.ALL_DONE: _all_done,
    TriggerRule.ALL_DONE_SETUP_SUCCESS: _all_done_setup_success,
    TriggerRule.ALL_DONE_MIN_ONE_SUCCESS: _all_done_min_one_success,
    TriggerRule.ALL_SKIPPED: _all_skipped,
    TriggerRule.ONE_SUCCESS: _one_success,
    TriggerRule.ONE_FAILED: _one_failed,
    TriggerRule.ONE_DONE: _one_done,
    TriggerRule.NONE_FAILED: _none_failed,
    TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS: _none_failed_min_one_success,
    TriggerRule.NONE_SKIPPED: _none_skipped,
    TriggerRule.ALWAYS: _always,
}


def decide(rule: str, upstream: UpstreamCounts) -> Decision:
    """What to do with a task under `rule`, given its upstream instances' states."""
    check = RULES[rule]
    return D.RUN if upstream.total == 0 else check(upstream)
