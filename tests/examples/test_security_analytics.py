"""examples/security_analytics.py: an hour of logs from the bucket lands enriched in DuckDB,
once per hour however often the hour runs."""

from __future__ import annotations

from datetime import UTC, datetime

from legato.demo import seed
from legato.demo.standins import StandIns, data
from legato.io.warehouse import Warehouse

from .conftest import example


def test_an_hour_of_logs_lands_enriched_once(world: StandIns) -> None:
    hour = datetime(2024, 3, 2, 9, tzinfo=UTC)
    seed.app_logs(world.bucket, hour)
    seed.warehouse_reference_data()
    dag = example("security_analytics")["security_analytics"]
    first = dag.run(logical_date=hour)
    again = dag.run(logical_date=hour)
    assert first.state == again.state == "success"
    logs = data.application_logs(hour)
    known = {c["customer_id"]: c["tier"] for c in data.customers()}
    rows = Warehouse().query("SELECT request_id, customer_id, tier FROM enriched_logs "
                             "WHERE hour = '2024-03-02T09'")
    assert len(rows) == len(logs)                                  # once, after two runs
    assert all(r["tier"] == known.get(r["customer_id"]) for r in rows)
    assert any(r["tier"] is None for r in rows)                    # customers the CRM lacks
    by_tier = {r[0]: r[1] for r in again["transform_and_enrich_logs"].result}
    assert sum(by_tier.values()) == len(logs)
