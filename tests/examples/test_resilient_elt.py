"""examples/resilient_elt.py: the day's sales (CSV, typed) and purchase orders (NDJSON) land
in the bucket and staging, the fact table holds one row per sale with its product's latest
order, and a re-run day leaves exactly the same rows."""

from __future__ import annotations

from legato.demo import seed
from legato.demo.standins import StandIns, data
from legato.io.warehouse import Warehouse

from .conftest import example


def test_a_day_lands_once_with_typed_amounts(world: StandIns) -> None:
    seed.sales_db(world.sales_db, ["2024-03-01", "2024-03-02"])
    dag = example("resilient_elt")["resilient_elt"]
    runs = [dag.run(logical_date=d) for d in ("2024-03-01", "2024-03-02", "2024-03-01")]
    assert [r.state for r in runs] == ["success"] * 3
    sales = data.sales("2024-03-01")
    assert (world.bucket / "sales" / "20240301" / "sales_export.csv").exists()
    assert (world.bucket / "purchase_orders" / "date=20240301" / "orders.json").exists()
    [fact] = Warehouse().query("SELECT count(*) AS n, round(sum(amount), 2) AS total, "
                               "typeof(any_value(amount)) AS kind, count(po_id) AS with_po "
                               "FROM fact_daily_sales WHERE date = '2024-03-01'")
    assert fact["n"] == len(sales) and fact["kind"] == "DOUBLE"          # once, typed
    assert abs(fact["total"] - sum(s["amount"] for s in sales)) < 0.05
    ordered = {o["product_sku"] for o in data.purchase_orders("2024-03-01")}
    assert fact["with_po"] == sum(1 for s in sales if s["product_id"] in ordered)
    latest = max((o for o in data.purchase_orders("2024-03-01") if o["product_sku"] == "SKU-1001"),
                 key=lambda o: o["created_date"])
    pos = {r["po_id"] for r in Warehouse().query(
        "SELECT po_id FROM fact_daily_sales WHERE date = '2024-03-01' AND product_id = 'SKU-1001'")}
    assert pos == {latest["id"]}
    assert runs[2]["transform_and_create_final_table"].result == \
        runs[0]["transform_and_create_final_table"].result
