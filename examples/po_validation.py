"""Validate, quarantine or load vendor purchase orders (article: "Instrumentation", the
destination example `validate_and_load_purchase_order`).

What the article asked: validate each incoming purchase order against business rules and the
current inventory; send invalid ones to a quarantine area and open a helpdesk ticket ("Invalid
PO Format"); enrich the valid ones with inventory data, load them into the procurement
database, and trigger the downstream analytics refresh.

What this shows, the Legato way:
- a `Contract` (the article's JSON Schema, `purchase_order.schema.json`, plus row rules: the
  total must match the lines, every SKU must be one the warehouse stocks) and `validate()`:
  each invalid order goes to the dead-letter store with every reason, attributed to the run
  and its file; `legato dlq fix` + `legato dlq replay` land a corrected one exactly once, in
  the same table (the `procurement_orders` destination, defined at module level);
- the invalid FILE moved to `quarantine/po/<day>/` in the bucket, with its reasons beside it;
- the valid orders enriched with the stock on hand and merged into `procurement_orders` (by
  order id: re-running the day changes nothing), whose update is the analytics trigger (an
  outlet: a DAG scheduled on that dataset runs next);
- the ticket as an incident: the task raises `DataQualityError` after loading the good
  orders, and the DAG's `Jira` sink opens one ticket (High, labels, component) that a later
  good run of the day resolves, all through Legato's durable outbox.

Run it: `legato demo po_validation` drops three vendor files (one with a wrong total) and
backfills the day; the demo then fixes the dead letter and replays it.
"""

import json
from pathlib import Path

from legato import DAG, Dataset, task
from legato.incidents import Jira
from legato.io import storage
from legato.io.warehouse import Warehouse
from legato.quality import Contract, DataQualityError, destination, rule, validate

PO_SCHEMA = json.loads((Path(__file__).parent / "purchase_order.schema.json").read_text())
PROCUREMENT_ORDERS = Dataset("duckdb://warehouse/procurement_orders", owner="procurement@example.com",
                             domain="supply_chain", description="Validated vendor purchase orders")


@rule("total_amount must equal the sum of quantity * unit_price", path="$.total_amount")
def total_matches_lines(po):
    return abs(sum(i["quantity"] * i["unit_price"] for i in po["items"]) - po["total_amount"]) < 0.01


@rule("every SKU must be one the warehouse stocks", path="$.items")
def known_skus(po):
    return {i["sku"] for i in po["items"]} <= stocked_skus()


def stocked_skus():
    return {r["sku"] for r in Warehouse().query("SELECT sku FROM stock")}


VENDOR_PO = Contract(PO_SCHEMA, name="vendor_purchase_order", rules=[total_matches_lines, known_skus])


@destination("procurement_orders")
def load_orders(items):
    """Where valid orders land, and where a replayed dead letter goes: a merge by order id."""
    stock = {r["sku"]: r["opening_stock"] for r in Warehouse().query("SELECT sku, opening_stock FROM stock")}
    rows = [{"purchase_order_id": po["purchase_order_id"], "vendor_id": po["vendor_id"],
             "total_amount": po["total_amount"], "lines": len(po["items"]),
             "units_on_hand": sum(stock.get(i["sku"], 0) for i in po["items"]),
             "items": po["items"]} for _, po in items]
    return Warehouse().load("procurement_orders", rows, mode="merge",
                            keys=["purchase_order_id"]).inserted if rows else 0


with DAG("po_validation", schedule="@daily", start_date="2024-03-01", catchup=False,
         tags=["article", "procurement", "quality"], domain="supply_chain",
         default_args={"owner": "procurement_data", "retries": 1},
         incidents=[Jira(conn_id="helpdesk", project="PROC", priority="High",
                         labels=["purchase_order", "invalid_po_format"],
                         components=["procurement"])]) as dag:

    @task
    def extract_po_files(ctx):
        bucket = ctx.var("landing_bucket")
        return [{"file": path, "po": storage.read_json(path)}
                for path in storage.ls(f"{bucket}/incoming/po/{ctx.ds}/*.json")]

    @task(outlets=[PROCUREMENT_ORDERS])
    def validate_and_load_purchase_orders(files, ctx):
        bucket, bad = ctx.var("landing_bucket"), []
        for f in files:
            valid = validate([f["po"]], VENDOR_PO, max_reject_ratio=1.0,
                             destination="procurement_orders", source=f["file"])
            if valid:
                load_orders.deliver([(f["po"]["purchase_order_id"], f["po"])])
                continue
            name = Path(f["file"]).name
            storage.write_json(f"{bucket}/quarantine/po/{ctx.ds}/{name}", f["po"])
            storage.write_json(f"{bucket}/quarantine/po/{ctx.ds}/{name}.errors.json",
                               {"file": f["file"], "reason": "failed the vendor_purchase_order "
                                "contract; see `legato dlq list --dag po_validation`"})
            storage.delete(f["file"])
            bad.append(name)
        if bad:
            raise DataQualityError(f"Invalid PO Format: {len(bad)} of {len(files)} file(s) "
                                   f"quarantined ({', '.join(bad)}); the others are loaded")
        return len(files)

    validate_and_load_purchase_orders(extract_po_files())
