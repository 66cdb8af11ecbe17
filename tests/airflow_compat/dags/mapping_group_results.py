"""Mapped tasks inside a task group, reduced outside; group ids prefix the mapped task."""
from datetime import datetime

from airflow.sdk import DAG, TaskGroup, task

with DAG("mapping_group_results", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def files():
        return ["a.csv", "b.csv"]

    with TaskGroup("process"):
        @task
        def size(name):
            return len(name)

        sizes = size.expand(name=files())

    @task
    def total(values):
        assert sum(values) == 10, values

    total(sizes)
