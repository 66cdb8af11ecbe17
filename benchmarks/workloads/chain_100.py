"""Chain-100 (mirrors airflow/w2_chain.py): 100 no-op tasks in strict sequence."""

from legato import DAG, chain, task

N = 100


@task
def noop() -> None:
    return None


with DAG(f"w2_chain_{N}", start_date="2024-01-01") as dag:
    chain(*[noop.override(task_id=f"t{i}")() for i in range(N)])
