"""Fanout-100 (mirrors airflow/w1_fanout.py): start -> 100 independent no-ops -> end."""

from legato import DAG, task

N = 100


@task
def noop() -> None:
    return None


with DAG(f"w1_fanout_{N}", start_date="2024-01-01") as dag:
    start = noop.override(task_id="start")()
    mids = [noop.override(task_id=f"n{i}")() for i in range(N)]
    end = noop.override(task_id="end")()
    start >> mids
    mids >> end
