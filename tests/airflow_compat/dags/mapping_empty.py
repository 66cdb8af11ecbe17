"""Mapping over an empty list: the mapped task is skipped, and so is what needs it."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

with DAG("mapping_empty", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def nothing():
        return []

    @task
    def each(x):
        return x

    @task
    def total(values):
        return sum(values)

    mapped = each.expand(x=nothing())
    total(mapped)
    mapped >> EmptyOperator(task_id="done", trigger_rule="all_done")
