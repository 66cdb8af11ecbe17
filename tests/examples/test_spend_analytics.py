"""examples/spend_analytics.py: each hour's approved orders are MERGEd into the fact table
once, a corrected amount is updated in place, and the dashboard sums what the fact holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from legato.demo.standins import StandIns, data
from legato.io.warehouse import Warehouse

from .conftest import example

HOURS = [datetime(2024, 3, 2, h, tzinfo=UTC) for h in (5, 6, 7)]


def approved_in(hours: list[datetime]) -> dict[str, float]:
    return {o["id"]: o["amount"] for o in data.purchase_orders("2024-03-02")
            if o["status"] == "approved" and any(
                h <= datetime.fromisoformat(o["created_date"]) < h + timedelta(hours=1) for h in hours)}


def test_hours_merge_once_and_corrections_update_in_place(world: StandIns) -> None:
    dag = example("spend_analytics")["spend_analytics"]
    runs = [dag.run(logical_date=h) for h in HOURS]
    assert [r.state for r in runs] == ["success"] * 3
    expected = approved_in(HOURS)
    wh = Warehouse()
    fact = {r["po_id"]: r["amount"] for r in wh.query("SELECT po_id, amount FROM fact_purchase_spend")}
    assert fact.keys() == expected.keys()
    some = next(iter(sorted(approved_in(HOURS[1:2]))))
    wh.execute("UPDATE fact_purchase_spend SET amount = -1 WHERE po_id = :id", {"id": some})
    again = dag.run(logical_date=HOURS[1])                       # the source still says otherwise
    assert again.state == "success"
    [row] = wh.query("SELECT amount FROM fact_purchase_spend WHERE po_id = :id", {"id": some})
    assert row["amount"] == expected[some]                       # matched: updated, not added
    assert again["refresh_spend_analytics_mart"].result[0] == len(expected)
    [total] = wh.query("SELECT sum(orders) AS n, round(sum(spend), 2) AS spend FROM spend_dashboard")
    assert total["n"] == len(expected) and abs(total["spend"] - sum(expected.values())) < 0.05
