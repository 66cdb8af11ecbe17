"""Data-pass (mirrors airflow/w3_datapass.py): a returns a 10 MB str, b receives it, returns len."""

from legato import DAG, task

SIZE = 10 * 1024 * 1024


@task
def a() -> str:
    return "x" * SIZE


@task
def b(payload: str) -> int:
    n = len(payload)
    assert n == SIZE, n
    return n


with DAG("w3_datapass", start_date="2024-01-01") as dag:
    b(a())
