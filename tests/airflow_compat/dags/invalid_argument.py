"""An unknown operator argument is refused at parse time, as Airflow refuses it."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("invalid_argument", schedule=None, start_date=datetime(2024, 1, 1)):
    EmptyOperator(task_id="bad", no_such_argument=1)
