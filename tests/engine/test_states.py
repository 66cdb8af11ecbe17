"""The task state machine: which moves are legal."""

from __future__ import annotations

import pytest

from legato.engine.states import IllegalTransition, TaskState, check_transition, is_finished

S = TaskState


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (S.SCHEDULED, S.QUEUED),
        (S.QUEUED, S.RUNNING),
        (S.RUNNING, S.SUCCESS),
        (S.RUNNING, S.UP_FOR_RETRY),
        (S.UP_FOR_RETRY, S.QUEUED),
    ],
)
def test_allowed_transitions_return_new_state(old, new):
    assert check_transition(old, new) is new


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (S.SUCCESS, S.SUCCESS),
        (S.SUCCESS, S.RUNNING),
        (S.FAILED, S.QUEUED),
    ],
)
def test_refused_transitions_raise(old, new):
    with pytest.raises(IllegalTransition) as info:
        check_transition(old, new)
    assert str(old) in str(info.value)
    assert str(new) in str(info.value)


def test_illegal_transition_is_a_value_error():
    with pytest.raises(ValueError):
        check_transition(S.SUCCESS, S.FAILED)


@pytest.mark.parametrize("old", [S.SUCCESS, S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED])
@pytest.mark.parametrize("new", list(TaskState))
def test_finished_states_are_terminal(old, new):
    with pytest.raises(IllegalTransition):
        check_transition(old, new)


def test_is_finished():
    assert {s for s in TaskState if is_finished(s)} == {
        S.SUCCESS, S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED, S.REMOVED,
    }
