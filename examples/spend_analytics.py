"""MERGE-based spend analytics (article: "Scaling the Orchestra", "Practical Use Case - Spend
Analytics Pipeline", `refresh_spend_analytics_mart`).

What the article asked: every hour, extract the approved purchase orders from the
procurement REST API, stage them, then in ONE transaction MERGE them into the spend fact table
(update the orders that changed, insert the new ones) and refresh the aggregate the dashboard
reads (`refresh_spend_dashboard_mv`), for near-real-time procurement analytics.

What this shows, the Legato way:
- the hour's window from the run's data interval (`created_after` / `created_before`), so a
  backfilled hour reads exactly that hour, through `fetch_all` (token, pages, 429/503);
- a staging load that replaces the hour's batch (`replace_partition`);
- the article's `BEGIN ... MERGE ... COMMIT` as a `SqlTask` on the embedded DuckDB
  warehouse: every statement in one transaction, `MERGE INTO ... WHEN MATCHED THEN UPDATE
  ... WHEN NOT MATCHED THEN INSERT`, then the dashboard table rebuilt; a re-run hour changes
  nothing, and an order whose amount was corrected at the source is updated, not duplicated.

Run it: `legato demo spend_analytics` backfills three hours of the attack day.
"""

from datetime import timedelta

from legato import DAG, Dataset, task
from legato.io.http import fetch_all
from legato.io.warehouse import Warehouse
from legato.tasks import SqlTask

FACT = Dataset("duckdb://warehouse/fact_purchase_spend", owner="finance@example.com",
               domain="finance", description="Approved purchase orders, merged hourly")
DASHBOARD = Dataset("duckdb://warehouse/spend_dashboard", owner="finance@example.com",
                    domain="finance", description="Spend per vendor, what the dashboard reads")
FIELDS = ("id", "vendor_id", "product_sku", "amount", "status", "created_date")
STAGE = {"type": "object", "properties": {             # the stage, even for an empty first hour
    **{k: {"type": "string"} for k in FIELDS}, "amount": {"type": "number"},
    "batch": {"type": "string"}}}

with DAG("spend_analytics", schedule="@hourly", start_date="2024-03-01", catchup=False,
         max_active_runs=1, tags=["article", "finance", "procurement"], domain="finance",
         default_args={"owner": "finance_bi", "retries": 2, "retry_delay": timedelta(seconds=1)}) as dag:

    @task
    def extract_approved_purchase_orders(ctx):
        orders = fetch_all("/v1/orders", conn="procurement_api", records="orders",
                           paginate="cursor", cursor_path="next_page", cursor_param="page",
                           params={"status": "approved",
                                   "created_after": ctx.data_interval_start.isoformat(),
                                   "created_before": ctx.data_interval_end.isoformat()},
                           backoff_s=0.2, max_wait=10)
        rows = [{k: o[k] for k in FIELDS} for o in orders]
        return Warehouse().load("purchase_orders_stage", rows, mode="replace_partition",
                                partition={"batch": ctx.ts}, schema=STAGE).to_json()

    refresh_mart = SqlTask("refresh_spend_analytics_mart", """
        CREATE TABLE IF NOT EXISTS fact_purchase_spend (
            po_id VARCHAR PRIMARY KEY, vendor_id VARCHAR, product_sku VARCHAR, amount DOUBLE,
            status VARCHAR, created_date VARCHAR);
        -- Merge new PO data into the fact table
        MERGE INTO fact_purchase_spend AS target
        USING (SELECT * FROM purchase_orders_stage WHERE batch = :batch) AS source
        ON target.po_id = source.id
        WHEN MATCHED THEN UPDATE SET vendor_id = source.vendor_id, amount = source.amount,
                                     status = source.status
        WHEN NOT MATCHED THEN INSERT (po_id, vendor_id, product_sku, amount, status, created_date)
             VALUES (source.id, source.vendor_id, source.product_sku, source.amount,
                     source.status, source.created_date);
        -- Aggregate for the dashboard (the materialized-view refresh of the article)
        CREATE OR REPLACE TABLE spend_dashboard AS
            SELECT vendor_id, count(*) AS orders, round(sum(amount), 2) AS spend
            FROM fact_purchase_spend GROUP BY vendor_id;
        SELECT count(*) AS orders, round(sum(amount), 2) AS spend FROM fact_purchase_spend
        """, parameters={"batch": "{{ ts }}"}, fetch="one", outlets=[FACT, DASHBOARD])

    extract_approved_purchase_orders() >> refresh_mart
