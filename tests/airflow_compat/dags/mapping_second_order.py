"""A mapped task over the results of another mapped task; one instance fails."""
from datetime import datetime

from airflow.sdk import DAG, task

with DAG("mapping_second_order", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def square(x):
        return x * x

    @task
    def check(y):
        if y == 4:
            raise ValueError("four is not allowed")
        return y

    @task(trigger_rule="all_done")
    def summary(values):
        return len(values)

    summary(check.expand(y=square.expand(x=[1, 2, 3])))
