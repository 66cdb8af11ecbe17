"""TaskFlow ETL: extract -> transform (multiple_outputs) -> load."""
import json

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False,
     tags=["example"])
def taskflow_etl():
    @task()
    def extract():
        data_string = '{"1001": 301.27, "1002": 433.21, "1003": 502.22}'
        return json.loads(data_string)

    @task(multiple_outputs=True)
    def transform(order_data_dict: dict):
        total = sum(order_data_dict.values())
        return {"total_order_value": total, "count": len(order_data_dict)}

    @task()
    def load(total_order_value: float, count: int):
        assert round(total_order_value, 2) == 1236.7, total_order_value
        assert count == 3

    order_summary = transform(extract())
    load(order_summary["total_order_value"], order_summary["count"])


taskflow_etl()
