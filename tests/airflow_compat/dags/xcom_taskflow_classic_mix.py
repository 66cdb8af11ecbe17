"""TaskFlow results into classic operators' templated fields and back."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task

with DAG("xcom_taskflow_classic_mix", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def command():
        return "echo from-taskflow"

    run = BashOperator(task_id="run", bash_command=command())

    @task
    def check(out):
        assert out == "from-taskflow", out

    check(run.output)
