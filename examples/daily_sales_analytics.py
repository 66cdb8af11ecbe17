"""Daily sales analytics with a file sensor and a failure alert (article: "Defining Data
Orchestration: Beyond Simple Automation", `daily_sales_analytics_pipeline`).

What the article asked: instead of a fragile cron job, 1. wait for the purchase-order
system's nightly export, 2. move it securely to the bucket, 3. transform it in the
warehouse, 4. refresh the BI dashboard only on success, 5. send a structured alert to the
helpdesk channel if any step fails.

What this shows, the Legato way:
- `FileSensor` on a templated path (`{{ var.value.export_dir }}/{{ ds }}/orders.csv`) in
  `reschedule` mode: between pokes it holds no worker slot; on timeout it fails (a
  `sensor_timeout` incident in Legato's store too);
- the copy to the bucket and a typed CSV read (`storage.read_csv(..., schema=...)`: amounts
  are numbers, not strings), aggregated into DuckDB with an idempotent daily partition;
- the dashboard refresh as an `HttpTask` on the `bi_tool_api` connection;
- the alert as a task with `trigger_rule="one_failed"` downstream of every step, posting a
  Slack-style message to the `chat` connection: it runs only when something failed, and is
  skipped otherwise;
- `done`, a leaf after the dashboard: a run's state is judged by its leaf tasks (Airflow's
  rule, and Legato's), so with the alert as the only leaf a failed day whose alert was sent
  would count as a success. With `done` the day fails, as it should.

Run it: `legato demo daily_sales_analytics` backfills two days: the first day's export is
there (the dashboard refreshes), the second day's never arrives (the sensor times out and
the alert is posted: the run is designed to fail).
"""

from datetime import timedelta

from legato import DAG, Dataset, task
from legato.io import storage
from legato.io.http import request
from legato.io.warehouse import Warehouse
from legato.quality import Contract
from legato.sensors import FileSensor
from legato.tasks import EmptyTask, HttpTask

ORDER_ROW = Contract({"type": "object", "properties": {
    "id": {"type": "string"}, "vendor_id": {"type": "string"}, "product_sku": {"type": "string"},
    "quantity": {"type": "integer"}, "unit_price": {"type": "number"},
    "amount": {"type": "number"}, "status": {"type": "string"}}}, name="po_export_row")
SALES_DAILY = Dataset("duckdb://warehouse/sales_daily", owner="bi@example.com", domain="sales")

with DAG("daily_sales_analytics", schedule="@daily", start_date="2024-03-01", catchup=False,
         tags=["article", "sales"], domain="sales",
         default_args={"owner": "data_team", "retries": 2,
                       "retry_delay": timedelta(seconds=0.5)}) as dag:

    wait_for_export = FileSensor(
        "check_purchase_order_export", "{{ var.value.export_dir }}/{{ ds }}/orders.csv",
        mode="reschedule",
        poke_interval=0.5, timeout=3)     # production: every 5 minutes for an hour (300, 3600)

    @task
    def secure_transfer_to_bucket(ctx):
        source = f"{ctx.var('export_dir')}/{ctx.ds}/orders.csv"
        target = f"{ctx.var('landing_bucket')}/raw/orders/{ctx.ds}/orders.csv"
        storage.write_bytes(target, storage.read_bytes(source))     # atomic on a local bucket
        return target

    @task(outlets=[SALES_DAILY])
    def transform_sales_data(uri, ctx):
        totals = {}
        for row in storage.read_csv(uri, schema=ORDER_ROW):
            if row["status"] != "approved":
                continue
            t = totals.setdefault(row["product_sku"], {"orders": 0, "units": 0, "amount": 0.0})
            t["orders"] += 1
            t["units"] += row["quantity"]
            t["amount"] = round(t["amount"] + row["amount"], 2)
        rows = [{"sku": sku, **t} for sku, t in sorted(totals.items())]
        return Warehouse().load("sales_daily", rows, mode="replace_partition",
                                partition={"day": ctx.ds}).to_json()

    refresh_dashboard = HttpTask(
        "refresh_bi_dashboard", "/api/v1/datasets/sales/refresh", method="POST",
        http_conn_id="bi_tool_api", json={"day": "{{ ds }}", "source": "{{ run_id }}"})

    @task(trigger_rule="one_failed", retries=0)
    def alert_helpdesk_on_pipeline_failure(ctx):
        text = (f":red_circle: *Data Pipeline Failure*\n*DAG:* `{ctx.dag_id}`\n"
                f"*Execution Date:* {ctx.ds}\n*Run:* `{ctx.run_id}`\nPlease investigate.")
        request("POST", conn="chat", json={"text": text})

    transferred = secure_transfer_to_bucket()
    transformed = transform_sales_data(transferred)
    wait_for_export >> transferred
    transformed >> refresh_dashboard >> EmptyTask("done")
    alert = alert_helpdesk_on_pipeline_failure()
    [wait_for_export, transferred, transformed, refresh_dashboard] >> alert
