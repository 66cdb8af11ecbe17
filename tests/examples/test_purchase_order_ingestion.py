"""examples/purchase_order_ingestion.py: through the API's 429s and 503s, each day's approved
orders land as NDJSON in the bucket and once in the star schema, however often a day runs."""

from __future__ import annotations

import json

from legato.demo.standins import StandIns, data
from legato.io.warehouse import Warehouse

from .conftest import example


def test_days_land_in_the_bucket_and_the_star_schema_once(world: StandIns) -> None:
    world.procurement.throttle_every = 2                    # a tight rate limit: half the calls
    dag = example("purchase_order_ingestion")["purchase_order_ingestion"]
    runs = [dag.run(logical_date=d) for d in ("2024-03-01", "2024-03-02", "2024-03-02")]
    assert [r.state for r in runs] == ["success"] * 3
    assert world.procurement.throttled >= 2                 # 429s met, and waited out
    for day in ("2024-03-01", "2024-03-02"):
        approved = [o for o in data.purchase_orders(day) if o["status"] == "approved"]
        lines = (world.bucket / "raw_purchase_orders" / day / "orders.json").read_text().splitlines()
        assert [json.loads(x)["id"] for x in lines] == [o["id"] for o in approved]
        [fact] = Warehouse().query("SELECT count(*) AS n, round(sum(amount), 2) AS spend "
                                   "FROM fact_purchase_orders WHERE order_date = :d", {"d": day})
        assert fact["n"] == len(approved)
        assert abs(fact["spend"] - sum(o["amount"] for o in approved)) < 0.05
    assert runs[2]["model_star_schema"].result == runs[1]["model_star_schema"].result
    vendors = Warehouse().query("SELECT count(*) AS n FROM dim_vendor")
    assert vendors[0]["n"] == len(data.VENDORS)
