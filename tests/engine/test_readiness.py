"""Trigger-rule decisions checked against an independent oracle of Airflow's semantics."""

from __future__ import annotations

import itertools

import pytest

from legato.engine.readiness import Decision, UpstreamCounts, decide
from legato.engine.states import TaskState

S = TaskState
UPSTREAM_STATES = (S.SCHEDULED, S.RUNNING, S.SUCCESS, S.FAILED, S.UPSTREAM_FAILED, S.SKIPPED)
RULES = (
    "all_success", "all_failed", "all_done", "one_success", "one_failed", "none_failed",
    "none_failed_min_one_success", "none_skipped", "always",
)

# -- the oracle: written from the documented semantics, over the raw list of states ----------
_FAILED_LIKE = {S.FAILED, S.UPSTREAM_FAILED}
_DONE = {S.SUCCESS, S.FAILED, S.UPSTREAM_FAILED, S.SKIPPED}


def _any_failed(states):
    return any(s in _FAILED_LIKE for s in states)


def _any_success(states):
    return any(s == S.SUCCESS for s in states)


def _any_skipped(states):
    return any(s == S.SKIPPED for s in states)


def _all_done(states):
    return all(s in _DONE for s in states)


def oracle(rule: str, states: list[TaskState]) -> Decision:
    if not states:
        return Decision.RUN
    if rule == "all_success":
        if _any_failed(states):
            return Decision.UPSTREAM_FAILED
        if _any_skipped(states):
            return Decision.SKIP
        if all(s == S.SUCCESS for s in states):
            return Decision.RUN
        return Decision.WAIT
    if rule == "all_failed":
        if _any_success(states) or _any_skipped(states):
            return Decision.SKIP
        if all(s in _FAILED_LIKE for s in states):
            return Decision.RUN
        return Decision.WAIT
    if rule == "all_done":
        return Decision.RUN if _all_done(states) else Decision.WAIT
    if rule == "one_success":
        if _any_success(states):
            return Decision.RUN
        if not _all_done(states):
            return Decision.WAIT
        return Decision.UPSTREAM_FAILED if _any_failed(states) else Decision.SKIP
    if rule == "one_failed":
        if _any_failed(states):
            return Decision.RUN
        return Decision.SKIP if _all_done(states) else Decision.WAIT
    if rule == "none_failed":
        if _any_failed(states):
            return Decision.UPSTREAM_FAILED
        return Decision.RUN if _all_done(states) else Decision.WAIT
    if rule == "none_failed_min_one_success":
        if _any_failed(states):
            return Decision.UPSTREAM_FAILED
        if not _all_done(states):
            return Decision.WAIT
        return Decision.RUN if _any_success(states) else Decision.SKIP
    if rule == "none_skipped":
        if _any_skipped(states):
            return Decision.SKIP
        return Decision.RUN if _all_done(states) else Decision.WAIT
    if rule == "always":
        return Decision.RUN
    raise AssertionError(f"oracle has no rule {rule!r}")


TWO_UPSTREAM = [list(c) for c in itertools.product(UPSTREAM_STATES, repeat=2)]


@pytest.mark.parametrize("states", TWO_UPSTREAM, ids=lambda st: "+".join(st))
@pytest.mark.parametrize("rule", RULES)
def test_two_upstream_every_combination(rule, states):
    assert decide(rule, UpstreamCounts.of(states)) is oracle(rule, states)


@pytest.mark.parametrize("rule", RULES)
def test_one_and_three_upstream_every_combination(rule):
    wrong = []
    for n in (1, 3):
        for combo in itertools.product(UPSTREAM_STATES, repeat=n):
            states = list(combo)
            got = decide(rule, UpstreamCounts.of(states))
            want = oracle(rule, states)
            if got is not want:
                wrong.append((states, got, want))
    assert wrong == []


@pytest.mark.parametrize("rule", RULES)
def test_no_upstream_runs_for_every_rule(rule):
    assert decide(rule, UpstreamCounts.of([])) is Decision.RUN
    assert decide(rule, UpstreamCounts()) is Decision.RUN


def test_unknown_rule_raises_key_error():
    with pytest.raises(KeyError):
        decide("most_success", UpstreamCounts.of([S.SUCCESS, S.SUCCESS]))


def test_oracle_covers_every_decision():
    # guards the table itself: a degenerate oracle/test set would not reach all four
    seen = {oracle(r, s) for r in RULES for s in TWO_UPSTREAM}
    assert seen == set(Decision)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([], UpstreamCounts(0, 0, 0, 0)),
        ([S.SCHEDULED, S.RUNNING], UpstreamCounts(2, 0, 0, 0)),
        ([S.SUCCESS, S.FAILED, S.UPSTREAM_FAILED, S.SKIPPED], UpstreamCounts(4, 1, 2, 1, 1)),
        ([S.UP_FOR_RETRY, S.QUEUED, S.DEFERRED], UpstreamCounts(3, 0, 0, 0)),
    ],
)
def test_upstream_counts_of(states, expected):
    counts = UpstreamCounts.of(states)
    assert counts == expected
    assert counts.done == expected.success + expected.failed + expected.skipped
    assert counts.all_done is (counts.done == len(states))


def test_up_for_retry_upstream_is_not_done():
    # a retrying upstream has not finished: all_done must wait for it
    assert decide("all_done", UpstreamCounts.of([S.SUCCESS, S.UP_FOR_RETRY])) is Decision.WAIT
    assert decide("all_success", UpstreamCounts.of([S.UP_FOR_RETRY])) is Decision.WAIT


def test_setup_counts_are_kept_apart():
    counts = UpstreamCounts.of([S.SUCCESS, S.SKIPPED, S.FAILED], setups=[S.SKIPPED])
    assert (counts.setups, counts.setup_success, counts.setup_skipped) == (1, 0, 1)
    assert counts.only_failed == 1


@pytest.mark.parametrize(("setups", "expected"), [
    ([S.SUCCESS, S.FAILED], Decision.RUN),          # one setup succeeded: the teardown runs
    ([S.SKIPPED, S.SKIPPED], Decision.SKIP),        # every setup skipped
    ([S.FAILED, S.SKIPPED], Decision.UPSTREAM_FAILED),
    ([S.UPSTREAM_FAILED], Decision.UPSTREAM_FAILED),
    ([], Decision.RUN),                             # no setup: plain all_done
])
def test_all_done_setup_success(setups, expected):
    states = [*setups, S.FAILED]                    # plus one non-setup upstream that failed
    assert decide("all_done_setup_success", UpstreamCounts.of(states, setups=setups)) is expected


def test_all_done_setup_success_waits_for_every_upstream():
    counts = UpstreamCounts.of([S.SUCCESS, S.RUNNING], setups=[S.SUCCESS])
    assert decide("all_done_setup_success", counts) is Decision.WAIT


@pytest.mark.parametrize(("rule", "states", "expected"), [
    ("one_done", [S.UPSTREAM_FAILED, S.RUNNING], Decision.WAIT),   # upstream_failed never ran
    ("one_done", [S.FAILED, S.RUNNING], Decision.RUN),
    ("all_skipped", [S.SKIPPED, S.RUNNING], Decision.WAIT),
    ("all_skipped", [S.SUCCESS, S.RUNNING], Decision.SKIP),         # decided early
    ("all_done_min_one_success", [S.SKIPPED, S.RUNNING], Decision.SKIP),
    ("all_done_min_one_success", [S.SUCCESS, S.RUNNING], Decision.WAIT),
])
def test_new_rules_decide_before_every_upstream_is_done(rule, states, expected):
    assert decide(rule, UpstreamCounts.of(states)) is expected
