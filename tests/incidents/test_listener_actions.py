"""The listener decides what a TaskFinished does through lifecycle.action_for (the one, tested
rule), not a copy of it: every event is asked about, with whether its task may have an open
incident, and the listener does what the rule answers."""

from __future__ import annotations

import pytest

from legato.incidents import Webhook
from legato.incidents import lifecycle as lc
from legato.store import incidents as inc_store

from .helpers import Driver


def test_every_event_goes_through_action_for(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, bool]] = []
    real = lc.action_for

    def recording(state: str, has_open: bool) -> str | None:
        asked.append((state, has_open))
        return real(state, has_open)

    monkeypatch.setattr(lc, "action_for", recording)
    drv = Driver([Webhook("https://hooks.example.com/x")])
    drv.task("success", run_id="run_0")                 # nothing open: nothing to do
    drv.task("failed", run_id="run_1", try_number=2)    # opens
    drv.task("up_for_retry", run_id="run_2")            # comments
    drv.task("skipped", run_id="run_2")
    drv.task("success", run_id="run_3")                 # resolves
    assert asked == [("success", False), ("failed", False), ("up_for_retry", True),
                     ("skipped", False), ("success", True)]
    with drv.engine.connect() as conn:
        assert inc_store.open_task_ids(conn, "sales") == set()


def test_the_listener_does_what_the_rule_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lc, "action_for", lambda state, has_open: None)
    drv = Driver([Webhook("https://hooks.example.com/x")])
    drv.task("failed", run_id="run_1", try_number=2)
    with drv.engine.connect() as conn:
        assert inc_store.open_task_ids(conn, "sales") == set()    # the rule said: nothing
