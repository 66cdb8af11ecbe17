"""A paginated procurement API exported as NDJSON to a bucket, then modelled in the warehouse
(article: "The Performance: Technical Walkthroughs", `purchase_order_ingestion_pipeline`).

What the article asked: every day (with catch-up, one run at a time) extract the day's
approved purchase orders from the procurement REST API, with authentication from a stored
connection, pagination, error logging and idempotency; land them as newline-delimited JSON in
a cloud bucket (`raw_purchase_orders/<ds>/orders.json`) and pass the file's URI on; then load
them into a staging table and model them into a star schema.

What this shows, the Legato way:
- `legato.io.http.fetch_all`: the token from the `procurement_api` connection, page after
  page (`next_page` as the cursor), and the API's rate limit (429 + `Retry-After`) and
  hiccups (503) retried without a line of retry code in the DAG;
- `storage.write_jsonl` to the bucket (atomic on a local folder: a killed task leaves the old
  file or the new one), and the URI as the task's return value;
- a staging load (`replace_partition` on the day) and the star schema as SQL (`dim_vendor`
  rebuilt, `fact_purchase_orders` day replaced): re-running a day leaves the same rows;
- `catchup=True` and `max_active_runs=1`, as the article: missed days are filled in order.

Run it: `legato demo purchase_order_ingestion` backfills three days, through the stand-in's
429s and 503s.
"""

from datetime import timedelta

from legato import DAG, Dataset, task
from legato.io import storage
from legato.io.http import fetch_all
from legato.io.warehouse import Warehouse
from legato.tasks import SqlTask

RAW = Dataset("file://landing/raw_purchase_orders", owner="procurement@example.com",
              domain="supply_chain", description="Approved purchase orders, NDJSON per day")
FACT = Dataset("duckdb://warehouse/fact_purchase_orders", owner="procurement@example.com",
               domain="supply_chain", description="Purchase orders, one row each")

with DAG("purchase_order_ingestion", schedule="@daily", start_date="2024-03-01", catchup=True,
         end_date="2024-03-03",     # the stand-in has data for these days; drop it for your API
         max_active_runs=1, tags=["article", "procurement"], domain="supply_chain",
         default_args={"owner": "procurement_data", "retries": 2,
                       "retry_delay": timedelta(seconds=1)}) as dag:

    @task(outlets=[RAW])
    def extract_orders_to_bucket(ctx):
        orders = list(fetch_all("/v1/orders", conn="procurement_api", records="orders",
                                paginate="cursor", cursor_path="next_page", cursor_param="page",
                                params={"date": ctx.ds, "status": "approved", "page_size": 100},
                                backoff_s=0.2, max_wait=10))
        if not orders:
            ctx.log.warning("No purchase orders found for %s: writing an empty file", ctx.ds)
        uri = f"{ctx.var('landing_bucket')}/raw_purchase_orders/{ctx.ds}/orders.json"
        storage.write_jsonl(uri, orders)
        ctx.log.info("%d orders written to %s", len(orders), uri)
        return uri

    @task
    def load_staging(uri, ctx):
        rows = [{k: o[k] for k in ("id", "vendor_id", "product_sku", "quantity", "unit_price",
                                   "amount", "status", "created_date")}
                for o in storage.read_jsonl(uri)]
        return Warehouse().load("stg_purchase_orders", rows, mode="replace_partition",
                                partition={"order_date": ctx.ds}).to_json()

    model = SqlTask("model_star_schema", """
        CREATE OR REPLACE TABLE dim_vendor AS
            SELECT vendor_id, min(order_date) AS first_order_date, count(*) AS orders
            FROM stg_purchase_orders GROUP BY vendor_id;
        CREATE TABLE IF NOT EXISTS fact_purchase_orders AS
            SELECT id AS po_id, vendor_id, product_sku, quantity, amount, order_date
            FROM stg_purchase_orders WHERE false;
        DELETE FROM fact_purchase_orders WHERE order_date = :day;
        INSERT INTO fact_purchase_orders
            SELECT id, vendor_id, product_sku, quantity, amount, order_date
            FROM stg_purchase_orders WHERE order_date = :day;
        SELECT count(*) AS orders, round(sum(amount), 2) AS spend
        FROM fact_purchase_orders WHERE order_date = :day
        """, parameters={"day": "{{ ds }}"}, fetch="one", outlets=[FACT])

    load_staging(extract_orders_to_bucket()) >> model
