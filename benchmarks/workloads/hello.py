"""Hello (mirrors airflow/w4_hello.py): a 2-task DAG, hello >> world.

Run whole-process with `legato run benchmarks/workloads/hello.py`.
"""

from legato import DAG, task


@task
def hello() -> None:
    return None


@task
def world() -> None:
    return None


with DAG("w4_hello", start_date="2024-01-01") as dag:
    hello() >> world()
