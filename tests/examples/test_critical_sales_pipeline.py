"""examples/critical_sales_pipeline.py: the day's revenue lands, the locked BI dataset fails
the refresh after its retry, and the failure callback opens one detailed ticket."""

from __future__ import annotations

from legato.config import load_settings
from legato.demo import seed
from legato.demo.standins import StandIns, data
from legato.incidents.lifecycle import log_url
from legato.io.warehouse import Warehouse

from .conftest import example, states


def test_the_failure_callback_opens_one_detailed_ticket(world: StandIns) -> None:
    seed.sales_db(world.sales_db, ["2024-03-01"])
    dag = example("critical_sales_pipeline")["critical_sales_pipeline"]
    result = dag.run(logical_date="2024-03-01")
    assert result.state == "failed"
    assert states(result) == {"extract_sales": "success", "load_revenue": "success",
                              "refresh_finance_dashboard": "failed"}
    assert result["refresh_finance_dashboard"].tries == 2 and world.bi.refused == ["finance-revenue"] * 2
    [ticket] = world.helpdesk.lifecycle()                 # one ticket: not one per try
    assert ticket["summary"] == "Data Pipeline Failure: DAG critical_sales_pipeline"
    assert ticket["priority"] == "High" and ticket["components"] == ["data-platform"]
    assert ticket["labels"] == ["orchestration_failure", "critical_sales_pipeline"]
    assert "Failed Task: refresh_finance_dashboard" in ticket["description"]
    assert "423" in ticket["description"] and f"DAG Run ID: {result.run_id}" in ticket["description"]
    link = log_url(load_settings().base_url, result.run_id, "refresh_finance_dashboard", 2)
    assert f"Log URL: {link}" in ticket["description"]          # the failed try's log page
    revenue = Warehouse().query("SELECT round(sum(revenue), 2) AS total FROM revenue_daily")
    assert abs(revenue[0]["total"] - sum(s["amount"] for s in data.sales("2024-03-01"))) < 0.05
