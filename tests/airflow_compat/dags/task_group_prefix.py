"""prefix_group_id=False, group default_args, and a group as one dependency operand."""
from datetime import datetime, timedelta

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup, task

with DAG("task_group_prefix", schedule=None, start_date=datetime(2024, 1, 1),
         default_args={"retries": 0, "retry_delay": timedelta(seconds=1)}):
    with TaskGroup("plain", prefix_group_id=False) as plain:
        EmptyOperator(task_id="unprefixed")
    with TaskGroup("retrying", default_args={"retries": 1}) as retrying:
        @task
        def flaky(ti=None):
            if ti.try_number < 2:
                raise RuntimeError("first try fails")
            return ti.try_number

        flaky()
    plain >> retrying >> EmptyOperator(task_id="after")
