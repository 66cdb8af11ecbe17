"""Hello (mirrors airflow/w4_hello.py): a 2-task DAG, hello >> world.

Run whole-process with `legato run benchmarks/workloads/hello.py`, or as a script
(`python benchmarks/workloads/hello.py`, which calls `dag.run()`) to compare the two.
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

if __name__ == "__main__":
    dag.run()
