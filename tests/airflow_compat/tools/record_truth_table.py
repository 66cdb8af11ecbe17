"""Compute the trigger-rule truth table with REAL Airflow's TriggerRuleDep (run with Airflow's
Python; not part of the test run):

    /tmp/peers/airflow/bin/python tests/airflow_compat/tools/record_truth_table.py \
        > tests/airflow_compat/truth/trigger_rule_dep.json

For each of the 13 rules and each multiset of 0-3 upstream states (success, failed, skipped,
upstream_failed, or running = not finished yet), Airflow's own dependency check is evaluated
on stand-in task instances (no database: every upstream is a plain, unmapped task) and its
verdict recorded: the state it sets (skipped / upstream_failed), "run" when every status
passes, or "wait". A second table does the same for all_done_setup_success with each upstream
a setup task or not.
"""
import itertools
import json
import sys
from types import SimpleNamespace

from airflow.task.trigger_rule import TriggerRule
from airflow.ti_deps.deps.trigger_rule_dep import TriggerRuleDep

KINDS = ("success", "failed", "skipped", "upstream_failed", "running")


def verdict(rule: str, upstreams: list[tuple[str, bool]]) -> str:
    tasks = [SimpleNamespace(task_id=f"u{i}", is_setup=setup, get_needs_expansion=lambda: False)
             for i, (_, setup) in enumerate(upstreams)]
    task = SimpleNamespace(
        task_id="t", upstream_task_ids={t.task_id for t in tasks}, upstream_list=tasks,
        trigger_rule=TriggerRule(rule), is_teardown=False, dag=None, task_group=None,
        get_upstreams_only_setups=list, get_closest_mapped_task_group=lambda: None)
    finished = [SimpleNamespace(task_id=t.task_id, map_index=-1, state=state, task=t)
                for t, (state, _) in zip(tasks, upstreams, strict=True) if state != "running"]
    decided: list[str] = []

    def set_state(state, session=None):
        decided.append(str(getattr(state, "value", state)))
        return True

    ti = SimpleNamespace(task=task, map_index=-1, dag_id="d", run_id="r", set_state=set_state,
                         get_dagrun=lambda session=None: None)
    ctx = SimpleNamespace(flag_upstream_failed=True, wait_for_past_depends_before_skipping=False,
                          ensure_finished_tis=lambda dr, session=None: finished,
                          have_changed_ti_states=False, upstream_task_id_counts={})
    statuses = list(TriggerRuleDep()._get_dep_statuses(ti, ctx, session=None))
    if decided:
        return decided[-1]
    return "run" if all(s.passed for s in statuses) else "wait"


def main() -> int:
    rules = [r.value for r in TriggerRule if r.value not in ("dummy", "none_failed_or_skipped")]
    plain = {}
    for rule in rules:
        for n in range(4):
            for combo in itertools.combinations_with_replacement(KINDS, n):
                plain[f"{rule}|{','.join(combo)}"] = verdict(rule, [(k, False) for k in combo])
    setups = {}
    marked = [(k, s) for k in KINDS for s in (False, True)]
    for n in range(4):
        for combo in itertools.combinations_with_replacement(marked, n):
            key = ",".join(f"{k}{'*' if s else ''}" for k, s in combo)
            setups[key] = verdict("all_done_setup_success", list(combo))
    json.dump({"recorded_with": "apache-airflow 3.3.2 TriggerRuleDep", "rules": plain,
               "all_done_setup_success_with_setups": setups}, sys.stdout, indent=0,
              sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
