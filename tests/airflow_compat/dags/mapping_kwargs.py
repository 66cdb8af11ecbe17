"""expand_kwargs over literal dicts and over an upstream list of dicts."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task

with DAG("mapping_kwargs", schedule=None, start_date=datetime(2024, 1, 1)):
    BashOperator.partial(task_id="bash").expand_kwargs([
        {"bash_command": "echo $ENV1", "env": {"ENV1": "1"}},
        {"bash_command": "printf $ENV2", "env": {"ENV2": "2"}},
    ])

    @task
    def configs():
        return [{"a": 1, "b": 2}, {"a": 3, "b": 4}, {"a": 5, "b": -1}]

    @task
    def add(a, b):
        if b < 0:
            raise ValueError("negative")
        return a + b

    add.expand_kwargs(configs())
