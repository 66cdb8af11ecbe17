"""default_args with keys an operator does not take (ignored by Airflow) and one it does."""
from datetime import datetime, timedelta

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("default_args_unknown", schedule=None, start_date=datetime(2024, 1, 1),
         default_args={"retries": 0, "retry_dealy": timedelta(seconds=1), "sla": None,
                       "bash_command": "echo default", "depends_on_past": True}):
    BashOperator(task_id="uses_default_command")
    EmptyOperator(task_id="empty")
