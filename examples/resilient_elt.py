"""A resilient ELT with parallel extracts and idempotent truncate-and-load (article:
"Walkthrough 1: Building a Resilient ELT Pipeline with Cloud-Native Tools", `resilient_elt_pipeline`).

What the article asked: extract the day's sales from the sales database (as CSV) and the
day's purchase orders from the procurement API (as NDJSON) in parallel into the landing
bucket; load both into staging tables with WRITE_TRUNCATE on the day (idempotent); then
transform in the warehouse into a fact table joining sales with purchase orders; retries with
exponential backoff for transient glitches.

What this shows, the Legato way:
- the two extracts in parallel and `cross_downstream` for the article's
  `[export_sales, extract_po] >> [load_sales, load_po]`;
- the sales database through a connection (`sales_db`: SQLite here, any SQLAlchemy URL in
  production) and the API through `fetch_all` (token, pages, 429/503 retried);
- a CSV read back TYPED (`read_csv(..., infer=True)`: amounts are numbers in the warehouse,
  not text) and NDJSON through `read_jsonl`;
- WRITE_TRUNCATE as `replace_partition`: the day's rows deleted and inserted in one
  transaction; the fact table's day rebuilt the same way by a `SqlTask`, so a re-run day
  leaves exactly the same rows. One row per sale: the sale's product joined to the day's most
  recent purchase order for it (the article's plain join repeated a sale once per order);
- `retries=3`, `retry_exponential_backoff=True`, `max_retry_delay` on every task.

Run it: `legato demo resilient_elt` backfills two days.
"""

from datetime import timedelta

from legato import DAG, Dataset, cross_downstream, task
from legato.io import storage
from legato.io.http import fetch_all
from legato.io.warehouse import Warehouse
from legato.tasks import SqlTask

FACT = Dataset("duckdb://warehouse/fact_daily_sales", owner="data_team@example.com", domain="sales",
               description="One row per sale, with the day's purchase order for its product")

with DAG("resilient_elt", schedule="@daily", start_date="2024-03-01", catchup=False,
         tags=["article", "elt"], domain="sales",
         default_args={"owner": "data_team", "retries": 3, "retry_delay": timedelta(seconds=0.5),
                       "retry_exponential_backoff": True,
                       "max_retry_delay": timedelta(seconds=5)}) as dag:

    @task
    def export_sales_from_db(ctx):
        rows = Warehouse("sales_db").query("SELECT * FROM transactions WHERE date = :d",
                                           {"d": ctx.ds})
        return storage.write_csv(
            f"{ctx.var('landing_bucket')}/sales/{ctx.ds_nodash}/sales_export.csv", rows)

    @task
    def extract_purchase_orders_from_api(ctx):
        orders = fetch_all("/v1/orders", conn="procurement_api", records="orders",
                           paginate="cursor", cursor_path="next_page", cursor_param="page",
                           params={"date": ctx.ds}, backoff_s=0.2, max_wait=10)
        return storage.write_jsonl(
            f"{ctx.var('landing_bucket')}/purchase_orders/date={ctx.ds_nodash}/orders.json", orders)

    @task
    def load_sales_csv_to_staging(ctx):
        uri = f"{ctx.var('landing_bucket')}/sales/{ctx.ds_nodash}/sales_export.csv"
        rows = storage.read_csv(uri, infer=True)
        return Warehouse().load("stg_sales_transactions", rows, mode="replace_partition",
                                partition={"date": ctx.ds}).to_json()

    @task
    def load_po_json_to_staging(ctx):
        uri = f"{ctx.var('landing_bucket')}/purchase_orders/date={ctx.ds_nodash}/orders.json"
        rows = [{k: o[k] for k in ("id", "vendor_id", "product_sku", "amount", "created_date")}
                for o in storage.read_jsonl(uri)]
        return Warehouse().load("stg_elt_purchase_orders", rows, mode="replace_partition",
                                partition={"order_date": ctx.ds}).to_json()

    transform = SqlTask("transform_and_create_final_table", """
        CREATE TABLE IF NOT EXISTS fact_daily_sales (
            transaction_id VARCHAR, customer_id VARCHAR, product_id VARCHAR, amount DOUBLE,
            date VARCHAR, po_id VARCHAR, vendor_id VARCHAR, _loaded_at TIMESTAMP);
        DELETE FROM fact_daily_sales WHERE date = :day;
        INSERT INTO fact_daily_sales
        SELECT s.transaction_id, s.customer_id, s.product_id, s.amount, s.date,
               p.po_id, p.vendor_id, current_timestamp
        FROM stg_sales_transactions s
        LEFT JOIN (SELECT product_sku, order_date,
                          arg_max(id, created_date) AS po_id,            -- the latest order of the day
                          arg_max(vendor_id, created_date) AS vendor_id
                   FROM stg_elt_purchase_orders WHERE order_date = :day
                   GROUP BY product_sku, order_date) p
          ON s.product_id = p.product_sku AND s.date = p.order_date
        WHERE s.date = :day;
        SELECT count(*) AS sales, count(po_id) AS with_po FROM fact_daily_sales WHERE date = :day
        """, parameters={"day": "{{ ds }}"}, fetch="one", outlets=[FACT])

    extracts = [export_sales_from_db(), extract_purchase_orders_from_api()]
    loads = [load_sales_csv_to_staging(), load_po_json_to_staging()]
    cross_downstream(extracts, loads)
    loads >> transform
