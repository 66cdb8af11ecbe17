"""A Param whose default breaks its own schema: Airflow refuses to run the DAG."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Param

with DAG("params_invalid", schedule=None, start_date=datetime(2024, 1, 1),
         params={"x": Param(1, type="integer", minimum=3)}):
    EmptyOperator(task_id="never")
