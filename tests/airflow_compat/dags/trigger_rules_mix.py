"""Failures and skips meeting trigger rules: one_failed, all_failed, one_done, all_skipped..."""
from datetime import datetime

from airflow.exceptions import AirflowSkipException
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task
from airflow.utils.trigger_rule import TriggerRule as TR

with DAG("trigger_rules_mix", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def ok():
        return 1

    @task
    def bad():
        raise RuntimeError("boom")

    @task
    def skip():
        raise AirflowSkipException("nothing today")

    good, broken, skipped = ok(), bad(), skip()
    rules = [TR.ONE_FAILED, TR.ALL_FAILED, TR.ONE_DONE, TR.ALL_SKIPPED, TR.NONE_SKIPPED,
             TR.NONE_FAILED, TR.ALL_DONE_MIN_ONE_SUCCESS, TR.ONE_SUCCESS, TR.ALWAYS]
    for rule in rules:
        [good, broken] >> EmptyOperator(task_id=f"ok_bad_{rule.value}", trigger_rule=rule)
        [good, skipped] >> EmptyOperator(task_id=f"ok_skip_{rule.value}", trigger_rule=rule)
        [skipped] >> EmptyOperator(task_id=f"skip_{rule.value}", trigger_rule=rule)
    cleanup = EmptyOperator(task_id="cleanup", trigger_rule="all_done")
    [good, broken, skipped] >> cleanup
