"""on_failure_fail_dagrun=True: a failing teardown fails the run."""
from datetime import datetime

from airflow.sdk import DAG, task, teardown

with DAG("teardown_fail_dagrun", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def make():
        return "resource"

    @task
    def use(r):
        return len(r)

    @teardown(on_failure_fail_dagrun=True)
    def destroy(r):
        raise RuntimeError("could not delete")

    r = make()
    r.as_setup()
    use(r) >> destroy(r)
