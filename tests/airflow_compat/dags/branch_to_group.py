"""A branch that chooses a task group by its id: the group's roots are followed."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup, task

with DAG("branch_to_group", schedule=None, start_date=datetime(2024, 1, 1)):
    @task.branch
    def pick():
        return "group_a"

    with TaskGroup("group_a") as group_a:
        a1 = EmptyOperator(task_id="a1")
        a2 = EmptyOperator(task_id="a2")
        a1 >> a2
    with TaskGroup("group_b") as group_b:
        EmptyOperator(task_id="b1")
    end = EmptyOperator(task_id="end", trigger_rule="none_failed_min_one_success")
    pick() >> [group_a, group_b] >> end
