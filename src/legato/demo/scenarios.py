"""How `legato demo` drives each scheduled example, and what "behaved as designed" means for
it: a short backfill (or a trigger) on the demo's store against the stand-ins, then checks of
the effect (rows in DuckDB, files in the bucket, tickets, dead letters, quarantine), not just
the run states. Each scenario returns its checks: (what was expected, whether it held).
The event-driven examples are in scenarios_events.py.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..config import Settings
from . import seed
from .drive import Driver
from .standins import StandIns, data

Check = tuple[str, bool]


@dataclass
class World:
    settings: Settings
    stand_ins: StandIns
    driver: Driver
    api_url: str | None = None


def states(runs: list[Any]) -> list[str]:
    return [r.state for r in runs]


def rows(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    from ..io.warehouse import Warehouse

    return Warehouse().query(sql, params)


def count(table: str, where: str = "true", params: dict[str, Any] | None = None) -> int:
    return int(rows(f"SELECT count(*) AS n FROM {table} WHERE {where}", params)[0]["n"])


def tickets(w: World, label: str) -> list[dict[str, Any]]:
    return [t for t in w.stand_ins.helpdesk.lifecycle() if label in t["labels"]]


def hello(w: World) -> list[Check]:
    run = w.driver.trigger("hello")
    return [("the run succeeds", run.state == "success")]


def complex_financial_reporting(w: World) -> list[Check]:
    from ..services import queries

    [run] = w.driver.backfill("complex_financial_reporting", "2024-01-02", "2024-01-02")
    empty = w.driver.trigger("complex_financial_reporting", "2024-01-03", {"po_empty": True})
    crm = queries.show_run(w.settings, run.run_id)["extract_crm"]
    skipped = queries.show_run(w.settings, empty.run_id)
    return [("the flaky CRM extract succeeds on its 3rd try", run.state == "success" and crm.tries == 3),
            ("an empty PO feed skips transform and load; `end` (all_done) still runs",
             skipped["load_to_dw"].state == "skipped" and skipped["end"].state == "success")]


def purchase_orders(w: World) -> list[Check]:
    from ..services import dead_letters

    [run] = w.driver.backfill("purchase_orders", "2024-03-01", "2024-03-01")
    letters = dead_letters.list_letters(w.settings, dag_id="purchase_orders", limit=1000)
    landed = _sqlite_rows(w, "purchase_orders")
    first = letters[0]
    dead_letters.fix(w.settings, first.id, _fixed_order(first.record))
    report = dead_letters.replay(w.settings, [first.id])
    replayed = _sqlite_rows(w, "purchase_orders") - landed
    drift = w.driver.trigger("purchase_orders", "2024-03-02", {"drift": 1})
    return [(f"2,000 orders: {landed} land, {len(letters)} malformed go to dead letters",
             run.state == "success" and landed + len(letters) == 2000),
            (f"a fixed dead letter (#{first.id}) replays into the warehouse once",
             report.replayed == [first.id] and replayed == 1),
            ("drifted amounts are held from publishing (designed to fail: data quarantined)",
             drift.state == "failed")]


def _sqlite_rows(w: World, table: str) -> int:
    with sqlite3.connect(w.settings.home / "warehouse.db") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _fixed_order(po: dict[str, Any]) -> dict[str, Any]:
    """What a person fixing the letter would write: a vendor, quantities >= 1, the total."""
    items = [{**i, "quantity": max(1, int(i.get("quantity") or 1))} for i in po.get("items") or []]
    return {**po, "vendor_id": po.get("vendor_id") or "V-00", "items": items,
            "total_amount": round(sum(i["quantity"] * i["unit_price"] for i in items), 2)}


def security_analytics(w: World) -> list[Check]:
    hours = [datetime(2024, 3, 2, h, tzinfo=UTC) for h in (9, 10)]
    seed.warehouse_reference_data()
    for hour in hours:
        seed.app_logs(w.stand_ins.bucket, hour)
    runs = w.driver.backfill("security_analytics", hours[0].isoformat(), hours[-1].isoformat())
    lines = sum(len(data.application_logs(h)) for h in hours)
    return [("two hourly runs succeed", states(runs) == ["success"] * 2),
            (f"{lines} log lines land enriched with the customer tier",
             count("enriched_logs") == lines and count("enriched_logs", "tier IS NOT NULL") > 0)]


def daily_sales_analytics(w: World) -> list[Check]:
    seed.po_export(w.stand_ins.exports, "2024-03-01")          # the second day's never comes
    runs = w.driver.backfill("daily_sales_analytics", "2024-03-01", "2024-03-02")
    messages = w.stand_ins.chat.texts()
    return [("day 1: the export lands in the bucket and DuckDB, the dashboard refreshes",
             runs[0].state == "success" and count("sales_daily", "day = '2024-03-01'") > 0
             and len(w.stand_ins.bi.refreshes) == 1),
            ("day 2: no export, the sensor times out (designed to fail)", runs[1].state == "failed"),
            ("the one_failed alert reaches the chat once, for day 2",
             len(messages) == 1 and "2024-03-02" in messages[0])]


def security_spend_correlation(w: World) -> list[Check]:
    runs = w.driver.backfill("security_spend_correlation", "2024-03-01", str(data.ATTACK_DAY))
    found = tickets(w, f"spend-anomaly-{data.ATTACK_DAY}")
    return [("a quiet day and the attack day both succeed", states(runs) == ["success"] * 2),
            ("the attack day's purchase orders during attacks land in DuckDB",
             count("security_spend_correlation", "day = :d", {"d": str(data.ATTACK_DAY)}) > 5),
            ("one High ticket for the attack day, none for the quiet day",
             len(found) == 1 and found[0]["priority"] == "High"
             and len(tickets(w, "automated_alert")) == 1)]


def critical_sales_pipeline(w: World) -> list[Check]:
    seed.sales_db(w.stand_ins.sales_db, ["2024-03-01", "2024-03-02"])
    [run] = w.driver.backfill("critical_sales_pipeline", "2024-03-01", "2024-03-01")
    found = tickets(w, "orchestration_failure")
    found = [t for t in found if "critical_sales_pipeline" in t["labels"]]
    return [("the revenue lands, the locked BI dataset fails the run (designed to fail)",
             run.state == "failed" and count("revenue_daily") > 0),
            ("the failure callback opens one detailed ticket (High, data-platform)",
             len(found) == 1 and found[0]["components"] == ["data-platform"]
             and "refresh_finance_dashboard" in found[0]["description"])]


def sales_inventory_replenishment(w: World) -> list[Check]:
    seed.sales_db(w.stand_ins.sales_db, ["2024-03-01", "2024-03-02"])
    seed.warehouse_reference_data()
    runs = w.driver.backfill("sales_inventory_replenishment", "2024-03-01", "2024-03-02")
    again = w.driver.backfill("sales_inventory_replenishment", "2024-03-02", "2024-03-02",
                              rerun=True)
    ordered = w.stand_ins.procurement.replenishments()
    skus = [o["item_sku"] for o in ordered]
    return [("two days (and a re-run of the second) succeed",
             states(runs + again) == ["success"] * 3),
            (f"{len(ordered)} low-stock item(s) reordered, each once",
             bool(ordered) and len(skus) == len(set(skus)) == count("replenishment_orders"))]


def helpdesk_ticket_monitor(w: World) -> list[Check]:
    seed.warehouse_reference_data()
    key = seed.customer_ticket(w.stand_ins.helpdesk.url, customer_id="C-007")
    run = w.driver.trigger("helpdesk_ticket_monitor")
    messages = queue_messages(w.settings, "helpdesk-tickets")
    return [("the HTTP sensor finds the customer's High ticket, the run succeeds",
             run.state == "success"),
            (f"{key} is routed to the queue, enriched with the customer's tier",
             [m["key"] for m in messages] == [key] and messages[0]["tier"] != "unknown")]


def queue_messages(settings: Settings, topic: str) -> list[Any]:
    from ..store import events as event_store
    from ..store.db import open_engine

    with open_engine(settings.database_url).connect() as conn:
        return [m.payload for m in event_store.messages(conn, topic, after=0,
                                                        recent_since=datetime.now(UTC))]


def po_validation(w: World) -> list[Check]:
    from ..services import dead_letters

    seed.warehouse_reference_data()
    seed.vendor_po_files(w.stand_ins.bucket, "2024-03-01")
    [bad] = w.driver.backfill("po_validation", "2024-03-01", "2024-03-01")
    quarantined = sorted((w.stand_ins.bucket / "quarantine" / "po" / "2024-03-01").glob("*.json"))
    [letter] = dead_letters.list_letters(w.settings, dag_id="po_validation")
    fixed = {**letter.record, "total_amount": round(sum(
        i["quantity"] * i["unit_price"] for i in letter.record["items"]), 2)}
    dead_letters.fix(w.settings, letter.id, fixed)
    replayed = dead_letters.replay(w.settings, [letter.id]).replayed
    [good] = w.driver.backfill("po_validation", "2024-03-01", "2024-03-01")
    [ticket] = tickets(w, "invalid_po_format") or [{}]
    return [("the wrong total fails the day (designed to fail), the two good orders land",
             bad.state == "failed" and count("procurement_orders") >= 2),
            ("the bad file is moved to quarantine with its reasons", len(quarantined) == 2),
            ("its dead letter, fixed and replayed, lands once", replayed == [letter.id]
             and count("procurement_orders") == 3),
            ("the ticket is opened, then resolved by the day's next good run",
             good.state == "success" and ticket.get("status") == "Done")]


def purchase_order_ingestion(w: World) -> list[Check]:
    runs = w.driver.backfill("purchase_order_ingestion", "2024-03-01", "2024-03-03")
    api = w.stand_ins.procurement
    files = sorted((w.stand_ins.bucket / "raw_purchase_orders").glob("*/orders.json"))
    approved = sum(o["status"] == "approved" for d in ("2024-03-01", "2024-03-02", "2024-03-03")
                   for o in data.purchase_orders(d))
    return [("three days, in order, succeed", states(runs) == ["success"] * 3),
            ("three NDJSON files in the bucket", len(files) == 3),
            (f"{approved} approved orders in the star schema, each once",
             count("fact_purchase_orders") == approved),
            (f"the API's {api.throttled} 429(s) and {api.failed} 503(s) were waited out", True)]


def resilient_elt(w: World) -> list[Check]:
    seed.sales_db(w.stand_ins.sales_db, ["2024-03-01", "2024-03-02"])
    runs = w.driver.backfill("resilient_elt", "2024-03-01", "2024-03-02")
    again = w.driver.backfill("resilient_elt", "2024-03-01", "2024-03-01", rerun=True)
    sales = len(data.sales("2024-03-01")) + len(data.sales("2024-03-02"))
    return [("two days and a re-run succeed", states(runs + again) == ["success"] * 3),
            (f"{sales} sales in the fact table, each once, amounts typed",
             count("fact_daily_sales") == sales
             and rows("SELECT typeof(any_value(amount)) AS t FROM fact_daily_sales")[0]["t"]
             == "DOUBLE")]


def alert_to_ticket(w: World) -> list[Check]:
    api = w.stand_ins.procurement
    api.outage = True
    first = w.driver.backfill("alert_to_ticket", "2024-03-01", "2024-03-01")
    opened = [dict(t) for t in tickets(w, "supplier_sync")]
    second = w.driver.backfill("alert_to_ticket", "2024-03-01", "2024-03-01")
    api.outage = False
    third = w.driver.backfill("alert_to_ticket", "2024-03-01", "2024-03-01")
    [ticket] = tickets(w, "supplier_sync") or [{}]
    return [("during the outage the day fails twice (designed to fail)",
             states(first + second) == ["failed", "failed"]),
            ("one ticket opened (High, assigned, labelled)",
             len(opened) == 1 and opened[0]["assignee"] == "oncall-data-eng"),
            ("updated by the retry and the second failure, resolved by the next success",
             states(third) == ["success"] and ticket.get("comments", 0) >= 2
             and ticket.get("status") == "Done")]


def spend_analytics(w: World) -> list[Check]:
    runs = w.driver.backfill("spend_analytics", "2024-03-02T05:00", "2024-03-02T07:00")
    again = w.driver.backfill("spend_analytics", "2024-03-02T06:00", "2024-03-02T06:00", rerun=True)
    merged = count("fact_purchase_spend")
    dashboard = rows("SELECT sum(orders) AS n FROM spend_dashboard")[0]["n"]
    return [("three hours and a re-run of one succeed", states(runs + again) == ["success"] * 4),
            (f"{merged} approved orders MERGEd once; the dashboard sums them",
             merged > 0 and dashboard == merged)]


def data_product_publish(w: World) -> list[Check]:
    from ..services import quality

    runs = w.driver.backfill("data_product_publish", "2024-03-01", str(data.DRIFT_DAY))
    held = quality.list_reports(w.settings, dataset="supply_chain.purchase_orders_daily",
                                status="held")
    published = {r["order_date"] for r in rows(
        "SELECT DISTINCT order_date FROM product_purchase_orders_daily")}
    return [("three days published, the drift day held (designed to fail)",
             states(runs) == ["success"] * 3 + ["failed"] and str(data.DRIFT_DAY) not in published),
            ("the drifted data is quarantined, its report kept",
             len(held) == 1 and bool(held[0].quarantine_path)),
            ("the domain team gets one ticket", len(tickets(w, "data-product")) == 1)]
