"""examples/daily_sales_analytics.py: with the export, the day lands in DuckDB, the bucket has
the file and the dashboard refreshes (no alert); without it, the sensor times out and only the
one_failed alert reaches the chat."""

from __future__ import annotations

from legato.config import load_settings
from legato.demo import seed
from legato.demo.standins import StandIns, data
from legato.io.warehouse import Warehouse
from legato.services import incidents

from .conftest import example, states


def test_a_day_with_its_export_lands_and_refreshes_the_dashboard(world: StandIns) -> None:
    export = seed.po_export(world.exports, "2024-03-01")
    dag = example("daily_sales_analytics")["daily_sales_analytics"]
    result = dag.run(logical_date="2024-03-01")
    assert result.state == "success"
    assert states(result)["alert_helpdesk_on_pipeline_failure"] == "skipped"
    copied = world.bucket / "raw" / "orders" / "2024-03-01" / "orders.csv"
    assert copied.read_bytes() == export.read_bytes()
    approved = [o for o in data.purchase_orders("2024-03-01") if o["status"] == "approved"]
    rows = Warehouse().query("SELECT sum(orders) AS n, round(sum(amount), 2) AS total, "
                             "typeof(sum(amount)) AS kind FROM sales_daily WHERE day = '2024-03-01'")
    assert rows[0]["n"] == len(approved) and rows[0]["kind"] == "DOUBLE"
    assert abs(rows[0]["total"] - sum(o["amount"] for o in approved)) < 0.05
    assert [r["body"] for r in world.bi.refreshes] == [{"day": "2024-03-01",
                                                       "source": result.run_id}]
    assert world.chat.messages == []


def test_a_missing_export_times_out_and_posts_one_alert(world: StandIns) -> None:
    dag = example("daily_sales_analytics")["daily_sales_analytics"]
    result = dag.run(logical_date="2024-03-02")
    assert result.state == "failed"
    assert states(result) == {
        "check_purchase_order_export": "failed", "secure_transfer_to_bucket": "upstream_failed",
        "transform_sales_data": "upstream_failed", "refresh_bi_dashboard": "upstream_failed",
        "alert_helpdesk_on_pipeline_failure": "success", "done": "upstream_failed"}
    [message] = world.chat.texts()
    assert "daily_sales_analytics" in message and "2024-03-02" in message
    assert world.bi.refreshes == []
    [opened] = incidents.list_incidents(load_settings(), dag_id="daily_sales_analytics")
    assert opened.kind == "sensor_timeout" and opened.task_id == "check_purchase_order_export"
