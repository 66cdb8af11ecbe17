"""`with teardown.as_teardown(setups=setup):` wires the tasks created inside."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task

with DAG("setup_teardown_context", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def hello():
        return "hello"

    s = BashOperator(task_id="setup_env", bash_command="echo setup")
    t = BashOperator(task_id="teardown_env", bash_command="echo teardown")
    with t.as_teardown(setups=s):
        hello() >> BashOperator(task_id="say", bash_command="echo {{ ti.xcom_pull(task_ids='hello') }}")
