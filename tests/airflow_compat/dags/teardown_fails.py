"""A failing teardown does not fail the run (its work succeeded)."""
from datetime import datetime

from airflow.sdk import DAG, task

with DAG("teardown_fails", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def make():
        return "resource"

    @task
    def use(r):
        return len(r)

    @task
    def destroy(r):
        raise RuntimeError("could not delete")

    r = make()
    used = use(r)
    used >> destroy(r).as_teardown(setups=r)
