"""one_done and none_failed_min_one_success around a branch and a failure."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

with DAG("one_done_rules", schedule=None, start_date=datetime(2024, 1, 1)):
    @task.branch
    def route():
        return "fast"

    @task
    def fast():
        raise RuntimeError("fast path broke")

    slow = EmptyOperator(task_id="slow")
    either = EmptyOperator(task_id="either", trigger_rule="one_done")
    merge = EmptyOperator(task_id="merge", trigger_rule="none_failed_min_one_success")
    r = route()
    f = fast()
    r >> [f, slow]
    [f, slow] >> either
    [f, slow] >> merge
