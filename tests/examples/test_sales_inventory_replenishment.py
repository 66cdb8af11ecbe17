"""examples/sales_inventory_replenishment.py: two days of sales lower the stock; exactly the
items below their reorder point are ordered, once each, however often a day is re-run."""

from __future__ import annotations

from legato.demo import seed
from legato.demo.standins import StandIns, data
from legato.io.warehouse import Warehouse

from .conftest import example

DAYS = ("2024-03-01", "2024-03-02")


def expected_low(upto: int) -> dict[str, int]:
    """SKU -> on hand after the first `upto` days, for the items below their reorder point."""
    sold: dict[str, int] = {}
    for day in DAYS[:upto]:
        for s in data.sales(day):
            sold[s["product_id"]] = sold.get(s["product_id"], 0) + s["quantity"]
    return {st["sku"]: st["opening_stock"] - sold.get(st["sku"], 0) for st in data.stock()
            if st["opening_stock"] - sold.get(st["sku"], 0) < st["reorder_point"]}


def test_low_stock_items_are_ordered_once(world: StandIns) -> None:
    seed.sales_db(world.sales_db, DAYS)
    seed.warehouse_reference_data()
    dag = example("sales_inventory_replenishment")["sales_inventory_replenishment"]
    runs = [dag.run(logical_date=d) for d in (*DAYS, DAYS[1])]          # the second day twice
    assert [r.state for r in runs] == ["success"] * 3
    low = expected_low(2)
    assert low, "the generated sales should take some stock below its reorder point"
    ordered = world.procurement.replenishments()
    assert sorted(o["item_sku"] for o in ordered) == sorted(set(expected_low(1)) | set(low))
    assert len(ordered) == len({o["item_sku"] for o in ordered})       # on order: not again
    assert all(o["quantity"] == 100 for o in ordered)
    position = {r["sku"]: r["on_hand"] for r in Warehouse().query(
        "SELECT sku, on_hand FROM inventory_position WHERE on_hand < reorder_point")}
    assert position == low                                              # the day's stock
    assert runs[2]["trigger_purchase_order_replenishment"].result == \
        runs[1]["trigger_purchase_order_replenishment"].result       # the same orders, not new
    rows = Warehouse().query("SELECT count(*) AS n FROM replenishment_orders")
    assert rows[0]["n"] == len(ordered)
