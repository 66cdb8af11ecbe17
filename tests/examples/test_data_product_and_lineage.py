"""examples/data_product_publish.py and lineage_catalog.py: days that look like the reference
are published as the product; the drift day is held (quarantine, quality report, a ticket to
the domain team) and never published; the consumer domain's forecast reads the product, and
the catalog and lineage connect the API, the product, the forecast and its report."""

from __future__ import annotations

from legato.config import load_settings
from legato.demo.standins import StandIns, data
from legato.io import storage
from legato.io.warehouse import Warehouse
from legato.services import lineage, quality

from .conftest import example, states

PRODUCT = "duckdb://warehouse/product_purchase_orders_daily"


def test_drift_is_held_and_the_product_feeds_its_consumer_with_lineage(world: StandIns) -> None:
    dag = example("data_product_publish")["data_product_publish"]
    normal = [dag.run(logical_date=d) for d in ("2024-03-01", "2024-03-02")]
    drifted = dag.run(logical_date=data.DRIFT_DAY.isoformat())
    assert [r.state for r in normal] == ["success", "success"]
    assert drifted.state == "failed"
    assert states(drifted)["publish_to_data_mesh"] == "upstream_failed"
    assert "drifted from its reference" in drifted["validate_domain_data"].error
    published = Warehouse().query("SELECT order_date, count(*) AS n FROM "
                                  "product_purchase_orders_daily GROUP BY 1 ORDER BY 1")
    approved = {d: sum(o["status"] == "approved" for o in data.purchase_orders(d))
                for d in ("2024-03-01", "2024-03-02")}
    assert {r["order_date"]: r["n"] for r in published} == approved
    settings = load_settings()
    held = quality.list_reports(settings, dataset="supply_chain.purchase_orders_daily", status="held")
    assert len(held) == 1 and held[0].quarantine_path
    assert storage.read_jsonl(held[0].quarantine_path)
    [ticket] = world.helpdesk.lifecycle()
    assert ticket["priority"] == "High" and "data-product" in ticket["labels"]
    assert "drifted" in ticket["description"] and "amount" in ticket["description"]

    forecast = example("lineage_catalog")["inventory_forecast"].run()
    assert forecast.state == "success"
    rows = forecast["forecast_demand"].result
    days: dict[str, set[str]] = {}
    for d in approved:
        for o in data.purchase_orders(d):
            if o["status"] == "approved":
                days.setdefault(o["product_sku"], set()).add(d)
    assert {r["sku"]: r["days_of_history"] for r in rows} == {k: len(v) for k, v in days.items()}
    report = world.bucket / "reports" / "inventory_forecast.csv"
    assert len(storage.read_csv(str(report))) == len(rows)
    [view] = [d for d in lineage.list_datasets(settings) if d.uri == PRODUCT]
    assert view.is_product and view.owner == "supply-chain-data@example.com"
    graph = lineage.lineage(settings, PRODUCT, direction="both", depth=4)
    edges = {(e["source"], e["target"]) for e in graph["edges"]}
    for edge in (("dataset:https://procurement.example.com/v1/orders",
                  "task:data_product_publish.publish_to_data_mesh"),
                 ("task:data_product_publish.publish_to_data_mesh", f"dataset:{PRODUCT}"),
                 (f"dataset:{PRODUCT}", "task:inventory_forecast.forecast_demand"),
                 ("task:inventory_forecast.forecast_demand",
                  "dataset:duckdb://warehouse/inventory_forecast")):
        assert edge in edges, (edge, sorted(edges))
