"""@task.branch returning a list; the not-chosen path and its plain join are skipped."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

with DAG("branch_decorator", schedule=None, start_date=datetime(2024, 1, 1)):
    @task.branch
    def choose(ds=None):
        return ["left", "middle"] if ds else "right"

    left, middle, right = (EmptyOperator(task_id=n) for n in ("left", "middle", "right"))
    after_right = EmptyOperator(task_id="after_right")
    join_all = EmptyOperator(task_id="join_all_success")
    join_done = EmptyOperator(task_id="join_all_done", trigger_rule="all_done")
    c = choose()
    c >> [left, middle, right]
    right >> after_right
    [left, middle, after_right] >> join_all
    [left, middle, after_right] >> join_done
