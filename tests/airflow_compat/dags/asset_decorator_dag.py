# dags: raw_orders, clean_orders
"""@asset: a function that writes one asset becomes a DAG; another asset depends on it."""
from airflow.sdk import asset


@asset(schedule="@daily", uri="s3://lake/raw_orders.parquet")
def raw_orders():
    return {"rows": 3}


@asset(schedule=raw_orders)
def clean_orders(self, context, raw_orders):
    assert context["ti"].task_id == "clean_orders"
    return str(self.uri)
