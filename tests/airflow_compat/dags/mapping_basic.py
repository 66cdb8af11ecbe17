"""Dynamic task mapping over a literal list, reduced by a downstream task."""
from datetime import datetime

from airflow.sdk import DAG, task

with DAG(dag_id="mapping_basic", schedule=None, start_date=datetime(2024, 1, 1), catchup=False):
    @task
    def add_one(x: int):
        return x + 1

    @task
    def sum_it(values):
        total = sum(values)
        assert total == 9, total
        return total

    sum_it(add_one.expand(x=[1, 2, 3]))
