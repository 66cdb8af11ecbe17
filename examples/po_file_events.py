"""Event-driven purchase-order files: schema validation, an error topic and a ticket (article:
"Walkthrough 2: Automating Event-Driven Data Processing with Serverless Functions").

What the article asked: when a vendor uploads an XML or CSV purchase order to the incoming
bucket, a function parses it into canonical JSON, validates it against a JSON Schema, and
publishes it to a "validated" topic for the warehouse load; a bad file goes to an error topic
(whose subscriber logs errors durably and notifies) and opens a helpdesk ticket (P3,
component `data-ingestion`, labels `automated`, `purchase_order`, `processing_failure`).

What this shows, the Legato way (three DAGs in one file, one per function):
- `po_file_function` runs once per new file (`events.FileArrival` on the bucket's folder: a
  file is taken once its size holds still, and never twice), the file in `ctx.event`;
- the article's JSON Schema as a `Contract` and `validate()`: a bad order goes to the
  dead-letter store with every reason (fix and `legato dlq replay` it: it lands in the
  warehouse once), its error to the `po-processing-errors` topic, and the run fails with a
  `DataQualityError` (no retry: the file will not improve), so the DAG's `Jira` sink opens a
  ticket, one per bad file (a run started by an event is judged on its own input);
- `legato.io.queue.publish` to the embedded queue (NATS, Redis or RabbitMQ by URL), and two
  subscriber DAGs on `events.Queue`: `po_validated_loader` merges each validated order into
  the warehouse, `po_error_log` keeps each error in a table and posts it to the chat.

Run it: `legato demo po_file_events` drops three files in the bucket (an XML and a CSV order,
and a CSV order with a quantity of 0) while a scheduler with its event listener runs.
The trigger's folder is read when the file is parsed, from the environment spelling of the
`landing_bucket` variable (`LEGATO_VAR_LANDING_BUCKET`).
"""

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from legato import DAG, events, task
from legato.incidents import Jira
from legato.io import queue, storage
from legato.io.http import request
from legato.io.warehouse import Warehouse
from legato.quality import Contract, DataQualityError, destination, validate

BUCKET = os.environ.get("LEGATO_VAR_LANDING_BUCKET", os.path.expanduser("~/.legato/bucket"))
VALIDATED_TOPIC, ERROR_TOPIC = "validated-purchase-orders", "po-processing-errors"
PO_SCHEMA = json.loads((Path(__file__).parent / "purchase_order.schema.json").read_text())
PO_FILE = Contract(PO_SCHEMA, name="po_file")


def _child(node, tag):
    found = node.find(tag)
    if found is None or found.text is None:
        raise ValueError(f"<{node.tag}> has no <{tag}>")
    return found.text.strip()


def parse_xml_po(text):
    root = ET.fromstring(text)
    items = [{"sku": _child(i, "SKU"), "quantity": int(_child(i, "Quantity")),
              "unit_price": float(_child(i, "UnitPrice"))} for i in root.findall("Item")]
    return {"purchase_order_id": _child(root, "PONumber"), "vendor_id": _child(root, "VendorID"),
            "items": items, "total_amount": round(sum(i["quantity"] * i["unit_price"] for i in items), 2)}


CSV_COLUMNS = {"purchase_order_id", "vendor_id", "sku", "quantity", "unit_price"}


def parse_csv_po(text):
    reader = csv.DictReader(io.StringIO(text))
    missing = CSV_COLUMNS - set(reader.fieldnames or ())
    rows = list(reader)
    if missing or not rows:
        raise ValueError(f"the CSV purchase order needs a header with {sorted(CSV_COLUMNS)} and "
                         f"at least one line (missing: {sorted(missing)})")
    items = [{"sku": r["sku"], "quantity": int(r["quantity"]), "unit_price": float(r["unit_price"])}
             for r in rows]
    return {"purchase_order_id": rows[0]["purchase_order_id"], "vendor_id": rows[0]["vendor_id"],
            "items": items, "total_amount": round(sum(i["quantity"] * i["unit_price"] for i in items), 2)}


@destination("validated_purchase_orders")
def land_orders(items):
    """The validated orders' table; a replayed dead letter lands here too (merge by id)."""
    rows = [{"purchase_order_id": po["purchase_order_id"], "vendor_id": po["vendor_id"],
             "total_amount": po["total_amount"], "items": po["items"],
             "source_file": po.get("_source_file")} for _, po in items]
    return Warehouse().load("purchase_orders_validated", rows, mode="merge",
                            keys=["purchase_order_id"]).inserted


with DAG("po_file_function", schedule=events.FileArrival(f"{BUCKET}/incoming-purchase-orders/*",
                                                         poll_interval=0.5),
         start_date="2024-03-01", tags=["article", "procurement", "events"], domain="supply_chain",
         incidents=[Jira(conn_id="helpdesk", project="ING", priority="Medium",
                         components=["data-ingestion"],
                         labels=["automated", "purchase_order", "processing_failure"])]) as dag:

    @task(retries=0)
    def process_purchase_order(ctx):
        url, name = ctx.event["url"], Path(ctx.event["path"]).name
        ctx.log.info("Processing started for: %s", url)
        try:
            if name.endswith(".xml"):
                po = parse_xml_po(storage.read_text(url))
            elif name.endswith(".csv"):
                po = parse_csv_po(storage.read_text(url))
            else:
                raise ValueError(f"Unsupported file format for {name}")
            if not validate([po], PO_FILE, max_reject_ratio=1.0, source=url,
                            destination="validated_purchase_orders"):
                reasons = "; ".join(f"{r['path']} {r['message']}" for r in PO_FILE.check(po))
                raise DataQualityError(f"{name} breaks the purchase-order schema: {reasons}")
        except (ValueError, ET.ParseError, DataQualityError) as exc:
            queue.publish(ERROR_TOPIC, {"error": f"Failed to process {name}: {exc}", "file": url,
                                        "timestamp": datetime.now(UTC).isoformat()},
                          message_id=f"error:{url}")
            raise
        po.update(_processing_timestamp=datetime.now(UTC).isoformat(), _source_file=name)
        queue.publish(VALIDATED_TOPIC, po, message_id=po["purchase_order_id"])
        ctx.log.info("Successfully published PO %s to %s", po["purchase_order_id"], VALIDATED_TOPIC)
        return po["purchase_order_id"]

    process_purchase_order()


with DAG("po_validated_loader", schedule=events.Queue(VALIDATED_TOPIC, poll_interval=0.5),
         start_date="2024-03-01", tags=["article", "procurement", "events"],
         domain="supply_chain") as loader:

    @task
    def load_validated_order(ctx):
        po = ctx.event
        return land_orders.deliver([(po["purchase_order_id"], po)])

    load_validated_order()


with DAG("po_error_log", schedule=events.Queue(ERROR_TOPIC, poll_interval=0.5),
         start_date="2024-03-01", tags=["article", "procurement", "events"],
         domain="supply_chain") as error_log:

    @task
    def log_and_notify(ctx):
        error = ctx.event
        Warehouse().load("po_processing_errors", [error], mode="merge", keys=["file"])
        request("POST", conn="chat", json={"text": f":warning: {error['error']}"})
        return error["file"]

    log_and_notify()
