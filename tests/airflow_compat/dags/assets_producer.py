# dags: assets_producer, assets_consumer
"""An asset producer (outlets, outlet_events extra) and a consumer scheduled on it."""
from datetime import datetime

from airflow.sdk import DAG, Asset, Metadata, task

orders = Asset("s3://warehouse/orders.parquet")
customers = Asset(name="customers", uri="s3://warehouse/customers.parquet")

with DAG("assets_producer", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False):
    @task(outlets=[orders])
    def write_orders(outlet_events=None):
        outlet_events[orders].extra = {"rows": 10}
        return 10

    @task(outlets=[customers])
    def write_customers():
        yield Metadata(customers, {"rows": 3})
        return 3

    write_orders() >> write_customers()

with DAG("assets_consumer", schedule=[orders, customers], start_date=datetime(2024, 1, 1),
         catchup=False):
    @task(inlets=[orders])
    def read(inlet_events=None, triggering_asset_events=None):
        return "ok"

    read()
