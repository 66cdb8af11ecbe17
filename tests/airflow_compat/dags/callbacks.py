"""Task and DAG callbacks receive Airflow-shaped contexts (exception, ti, dag_run)."""
from datetime import datetime

from airflow.sdk import DAG, task

seen = []


def on_failure(context):
    assert context["ti"].task_id == "breaks"
    assert "on purpose" in str(context["exception"])
    assert context["dag_run"].run_id
    seen.append("failure")


def on_success(context):
    assert context["task_instance"].task_id == "works"
    seen.append("success")


def dag_failed(context):
    seen.append("dag failed")


with DAG("callbacks", schedule=None, start_date=datetime(2024, 1, 1),
         on_failure_callback=dag_failed):
    @task(on_success_callback=on_success)
    def works():
        return 1

    @task(on_failure_callback=[on_failure])
    def breaks():
        raise RuntimeError("fails on purpose")

    @task(on_success_callback=lambda context: 1 / 0)
    def callback_raises():
        return 2

    works() >> breaks()
    callback_raises()
