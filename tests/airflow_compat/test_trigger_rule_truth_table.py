"""The 13 trigger rules against REAL Airflow 3.3.2.

truth/trigger_rule_dep.json is Airflow's own TriggerRuleDep verdict for 0-3 upstreams in every
mix of success / failed / skipped / upstream_failed / not-yet-finished (and, for
all_done_setup_success, with setup upstreams): readiness.decide must agree on every case.
truth/expected.json holds the final states `airflow dags test` gave truth/truth_table_dag.py:
a whole Legato run of the same file must end the same (including where the order in which
upstreams finish decides, e.g. a skip seen before an upstream_failed under all_success).
Both tables were recorded with the scripts in tools/; the tests never need Airflow."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from legato.engine.readiness import Decision, UpstreamCounts, decide
from legato.engine.states import TaskState

HERE = Path(__file__).parent / "truth"
DEP = json.loads((HERE / "trigger_rule_dep.json").read_text())
EXPECTED = json.loads((HERE / "expected.json").read_text())
RULES = ("all_success", "all_failed", "all_done", "all_done_setup_success", "one_success",
         "one_failed", "one_done", "none_failed", "none_failed_min_one_success",
         "none_skipped", "always", "all_skipped", "all_done_min_one_success")
KINDS = ("success", "failed", "skipped", "upstream_failed", "running")
VERDICT = {Decision.RUN: "run", Decision.SKIP: "skipped",
           Decision.UPSTREAM_FAILED: "upstream_failed", Decision.WAIT: "wait"}


def test_table_covers_every_rule_and_mix():
    combos = sum(1 for n in range(4) for _ in itertools.combinations_with_replacement(KINDS, n))
    assert {k.split("|")[0] for k in DEP["rules"]} == set(RULES)
    assert len(DEP["rules"]) == 13 * combos == 728
    assert set(DEP["rules"].values()) == set(VERDICT.values())


@pytest.mark.parametrize("rule", RULES)
def test_decide_matches_airflow_trigger_rule_dep(rule):
    wrong = []
    for key, want in DEP["rules"].items():
        r, _, combo = key.partition("|")
        if r != rule:
            continue
        states = [TaskState.RUNNING if k == "running" else TaskState(k)
                  for k in combo.split(",") if k]
        got = VERDICT[decide(rule, UpstreamCounts.of(states))]
        if got != want:
            wrong.append((combo, got, want))
    assert wrong == []


def test_all_done_setup_success_with_setup_upstreams_matches_airflow():
    wrong = []
    for combo, want in DEP["all_done_setup_success_with_setups"].items():
        items = [k for k in combo.split(",") if k]
        states = [TaskState(k.rstrip("*")) for k in items]
        setups = [TaskState(k.rstrip("*")) for k in items if k.endswith("*")]
        got = VERDICT[decide("all_done_setup_success", UpstreamCounts.of(states, setups))]
        if got != want:
            wrong.append((combo, got, want))
    assert wrong == []


def test_whole_run_matches_airflow(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGATO_HOME", str(tmp_path))
    from legato.authoring.loader import load_file

    loaded = load_file(HERE / "truth_table_dag.py")
    assert not loaded.errors, loaded.errors
    result = loaded.dags[0].run(logical_date="2024-01-03", executor="inline")
    got = {t: r.state for t, r in result.tasks.items()}
    assert result.state == EXPECTED["state"]
    assert got == EXPECTED["tasks"]
