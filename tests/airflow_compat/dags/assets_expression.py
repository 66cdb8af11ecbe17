"""An asset expression as a schedule: (a & b) | c."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset

a = Asset("file:///tmp/a.csv")
b = Asset("file:///tmp/b.csv")
c = Asset(name="c", uri="file:///tmp/c.csv")

with DAG("assets_expression", schedule=(a & b) | c, start_date=datetime(2024, 1, 1),
         catchup=False):
    EmptyOperator(task_id="consume", outlets=[Asset("file:///tmp/out.csv")])
