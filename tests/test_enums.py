"""One list of trigger rules, and the enums that replaced bare strings keep the stored values.

The trigger rules were written three times (authoring's validation, the engine's readiness,
Airflow's enum in the compat layer); they now come from `legato.authoring.trigger_rules`.
"""

from __future__ import annotations

import pytest

from legato import DAG
from legato.authoring.errors import DagDefinitionError
from legato.authoring.task import TRIGGER_RULES
from legato.authoring.trigger_rules import TriggerRule
from legato.compat.airflow.enums import LEGACY_RULES
from legato.compat.airflow.enums import TriggerRule as AirflowTriggerRule
from legato.engine.readiness import RULES, Decision, UpstreamCounts, decide
from legato.tasks import EmptyTask

STORED = {"all_success", "all_failed", "all_done", "one_success", "one_failed", "none_failed",
          "none_failed_min_one_success", "none_skipped", "always", "one_done", "all_skipped",
          "all_done_min_one_success", "all_done_setup_success"}


def test_the_one_list_keeps_the_stored_names() -> None:
    assert {str(r) for r in TriggerRule} == STORED
    assert all(r == r.value for r in TriggerRule)        # a member equals its stored string


def test_validation_readiness_and_airflow_use_the_one_list() -> None:
    assert set(TRIGGER_RULES) == set(TriggerRule)
    assert set(RULES) == set(TriggerRule)
    assert {r.value for r in AirflowTriggerRule} == set(TriggerRule) | set(LEGACY_RULES)
    assert AirflowTriggerRule.ONE_DONE == TriggerRule.ONE_DONE == "one_done"
    assert AirflowTriggerRule.is_valid("dummy") and not AirflowTriggerRule.is_valid("sometimes")


def test_readiness_decides_on_a_plain_stored_string() -> None:
    counts = UpstreamCounts(total=2, success=1, failed=1)
    assert decide("one_success", counts) == Decision.RUN
    assert decide(TriggerRule.ALL_SUCCESS, counts) == Decision.UPSTREAM_FAILED


def test_an_unknown_rule_is_refused_with_the_list() -> None:
    with DAG("rules") as dag:
        assert EmptyTask("a", trigger_rule=TriggerRule.ONE_DONE).trigger_rule == "one_done"
        with pytest.raises(DagDefinitionError, match="unknown trigger_rule 'sometimes'; one of all_success"):
            EmptyTask("b", trigger_rule="sometimes")
    assert dag.spec().tasks["a"].trigger_rule == "one_done"


def test_try_outcomes_keep_their_strings_across_processes() -> None:
    import json
    import pickle

    from legato.engine.executors.base import Outcome, TryFinished

    assert {str(o) for o in Outcome} == {"success", "failed", "skipped", "rescheduled", "deferred"}
    done = TryFinished("r", "t", -1, 1, Outcome.FAILED, start=0.0, end=1.0)
    again = pickle.loads(pickle.dumps(done))          # how a process worker reports it
    assert again == done and again.state == "failed" and json.dumps(again.state) == '"failed"'
