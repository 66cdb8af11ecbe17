"""LatestOnlyOperator: a manual run (dags test) lets its downstream run."""
import datetime

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.latest_only import LatestOnlyOperator
from airflow.sdk import DAG

with DAG("latest_only", schedule=datetime.timedelta(hours=4),
         start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False, tags=["example"]):
    latest_only = LatestOnlyOperator(task_id="latest_only")
    task1 = EmptyOperator(task_id="task1")
    latest_only >> task1
