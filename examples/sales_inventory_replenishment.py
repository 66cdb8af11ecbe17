"""Sales -> warehouse -> purchase-order replenishment (article: "The Conductor's Baton",
`daily_sales_inventory_pipeline`).

What the article asked: extract the day's sales and clean them, load them into the warehouse
with a SQL step, and only then call the purchase-order system's REST API to reorder the items
whose stock fell below the threshold; business rules must keep a purchase order from being
triggered before the data is validated and loaded.

What this shows, the Legato way:
- extraction from the shop's sales database through a connection (`sales_db`, any SQLAlchemy
  URL; `Warehouse("sales_db").query`), cleaning in Python, an idempotent daily load;
- the warehouse step as a `SqlTask` (the article's `CALL LOAD_SALES_DATA("{{ ds }}")`): the
  inventory position recomputed from the opening stock, every day's sales and the orders
  already placed, so re-running a day gives the same numbers and stock on order is not
  ordered again;
- the reorder as the last task: it runs only after both succeeded, reads the low-stock items
  from the warehouse, and POSTs one purchase order per item with an `Idempotency-Key`
  (`<day>:<sku>`), so a retried task or a re-run day never orders twice; the confirmed orders
  are merged into the warehouse for financial reporting.

Run it: `legato demo sales_inventory_replenishment` backfills two days.
"""

from datetime import timedelta

from legato import DAG, Dataset, task
from legato.io.http import request
from legato.io.warehouse import Warehouse
from legato.tasks import SqlTask

with DAG("sales_inventory_replenishment", schedule="@daily", start_date="2024-03-01",
         catchup=False, max_active_runs=1, tags=["article", "sales", "procurement"],
         domain="supply_chain",
         default_args={"owner": "bi_team", "retries": 3, "retry_delay": timedelta(seconds=1)}) as dag:

    @task
    def extract_and_transform_sales(ctx):
        sales = Warehouse("sales_db").query(
            "SELECT product_id, quantity, amount FROM transactions WHERE date = :d", {"d": ctx.ds})
        by_sku = {}
        for s in sales:
            if s["quantity"] <= 0:                        # cleanse: returns are booked elsewhere
                continue
            row = by_sku.setdefault(s["product_id"], {"sku": s["product_id"], "units": 0,
                                                      "revenue": 0.0})
            row["units"] += s["quantity"]
            row["revenue"] = round(row["revenue"] + s["amount"], 2)
        return Warehouse().load("sales_by_sku", list(by_sku.values()), mode="replace_partition",
                                partition={"day": ctx.ds}).to_json()

    load_to_warehouse = SqlTask("load_sales_to_warehouse", """
        CREATE TABLE IF NOT EXISTS replenishment_orders
            (po_id VARCHAR, sku VARCHAR, quantity BIGINT, on_hand BIGINT, day VARCHAR);
        CREATE OR REPLACE TABLE inventory_position AS
        SELECT st.sku,
               st.opening_stock - coalesce((SELECT sum(s.units) FROM sales_by_sku s
                                            WHERE s.sku = st.sku AND s.day <= :day), 0) AS on_hand,
               coalesce((SELECT sum(r.quantity) FROM replenishment_orders r
                         WHERE r.sku = st.sku AND r.day < :day), 0) AS on_order,
               st.reorder_point, st.reorder_quantity
        FROM stock st
        """, parameters={"day": "{{ ds }}"}, outlets=[Dataset("duckdb://warehouse/inventory_position")])

    @task
    def trigger_purchase_order_replenishment(ctx):
        low = Warehouse().query("SELECT sku, on_hand, reorder_quantity FROM inventory_position "
                                "WHERE on_hand + on_order < reorder_point ORDER BY sku")
        orders = []
        for item in low:
            po = request("POST", "/v1/purchase-orders", conn="procurement_api",
                         headers={"Idempotency-Key": f"{ctx.ds}:{item['sku']}"},
                         json={"item_sku": item["sku"], "quantity": item["reorder_quantity"],
                               "reason": "Automated reorder triggered by sales data pipeline"}).json()
            orders.append({"po_id": po["id"], "sku": item["sku"], "quantity": po["quantity"],
                           "on_hand": item["on_hand"], "day": ctx.ds})
        if orders:
            Warehouse().load("replenishment_orders", orders, mode="merge", keys=["po_id"])
        ctx.log.info("Processed %d reorders.", len(orders))
        return [o["po_id"] for o in orders]

    extract_and_transform_sales() >> load_to_warehouse >> trigger_purchase_order_replenishment()
