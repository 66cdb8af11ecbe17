# dags: trigger_rule_truth_table
"""One Airflow DAG whose final task states are the trigger-rule truth table.

Producers end in each upstream state (success, failed, skipped, upstream_failed); one target
task per (rule, multiset of 0-3 upstream states) hangs below the matching producers. Run with
`airflow dags test trigger_rule_truth_table` (real Airflow) to record the table, or on Legato.
"""
import itertools
from datetime import datetime

from airflow.exceptions import AirflowFailException, AirflowSkipException
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

RULES = ("all_success", "all_failed", "all_done", "all_done_setup_success", "one_success",
         "one_failed", "one_done", "none_failed", "none_failed_min_one_success", "none_skipped",
         "always", "all_skipped", "all_done_min_one_success")
KINDS = ("success", "failed", "skipped", "upstream_failed")


@task
def ok():
    return None


@task
def boom():
    raise AirflowFailException("fails on purpose")


@task
def skip():
    raise AirflowSkipException("skips on purpose")


def case_id(rule, combo):
    return f"{rule}__{'_'.join(k[:2] for k in combo) or 'none'}"


with DAG("trigger_rule_truth_table", schedule=None, start_date=datetime(2024, 1, 1),
         catchup=False) as dag:
    producers = {}
    for kind in KINDS:
        for i in range(3):
            name = f"p_{kind}_{i}"
            if kind == "success":
                producers[(kind, i)] = ok.override(task_id=name)()
            elif kind == "failed":
                producers[(kind, i)] = boom.override(task_id=name)()
            elif kind == "skipped":
                producers[(kind, i)] = skip.override(task_id=name)()
            else:
                root = boom.override(task_id=f"root_{name}")()
                producers[(kind, i)] = EmptyOperator(task_id=name)
                root >> producers[(kind, i)]
    for rule in RULES:
        for n in range(4):
            for combo in itertools.combinations_with_replacement(KINDS, n):
                target = EmptyOperator(task_id=case_id(rule, combo), trigger_rule=rule)
                used = {}
                for kind in combo:
                    i = used.get(kind, 0)
                    used[kind] = i + 1
                    producers[(kind, i)] >> target
