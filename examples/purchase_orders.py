"""The article's purchase-order ingestion with schema validation and dead letters, plus the
data-mesh drift gate before publishing — runnable offline.

`extract` stands in for the procurement system's nightly export (generated, seeded by the
logical date, about 2% malformed). `validate_and_load` checks every order against the
article's JSON Schema and a business rule, loads the valid ones into a SQLite warehouse
(`$LEGATO_HOME/warehouse.db`, or $PO_WAREHOUSE_URL) keyed by order id, and sends the others to
the dead-letter store. `publish` holds the data back if it drifted from the reference profile
(the first run's data); `--param drift=1` shifts the amounts to show the gate firing.

    legato run examples/purchase_orders.py --date 2024-03-01
    legato dlq list                                  # the malformed orders, with every reason
    legato dlq fix ID --file fixed.json && legato dlq replay ID     # lands exactly once
    legato run examples/purchase_orders.py --param drift=1         # publish fails, data quarantined
"""

import json
import os
import random
from pathlib import Path

from legato import DAG, task
from legato.config import load_settings
from legato.quality import Contract, SqlTable, drift_gate, rule, validate

# The article's purchase-order schema, shared with the benchmark and the tests.
PO_SCHEMA = json.loads((Path(__file__).parent / "purchase_order.schema.json").read_text())


@rule("total_amount must equal the sum of quantity * unit_price", path="$.total_amount")
def total_matches_lines(po):
    lines = sum(i["quantity"] * i["unit_price"] for i in po["items"])
    return abs(lines - po["total_amount"]) < 0.01


# Module level, so `legato dlq replay` finds the contract and the destination by name.
PURCHASE_ORDER = Contract(PO_SCHEMA, name="purchase_order", rules=[total_matches_lines])
WAREHOUSE = SqlTable(
    os.environ.get("PO_WAREHOUSE_URL") or f"sqlite:///{load_settings().home / 'warehouse.db'}",
    "purchase_orders", columns=["purchase_order_id", "vendor_id", "total_amount", "items"])


def _order(rng, day, i, shift):
    items = [{"sku": f"SKU-{rng.randrange(1000):04d}", "quantity": rng.randint(1, 20),
              "unit_price": round(rng.uniform(1, 100) * shift, 2)}
             for _ in range(rng.randint(1, 4))]
    return {"purchase_order_id": f"PO-{day}-{i:05d}", "vendor_id": f"V-{rng.randrange(40):02d}",
            "items": items,
            "total_amount": round(sum(x["quantity"] * x["unit_price"] for x in items), 2)}


def _malformed(rng, po):
    kind = rng.randrange(3)
    if kind == 0:
        po["items"][0]["quantity"] = 0           # schema: quantity minimum 1
    elif kind == 1:
        del po["vendor_id"]                      # schema: required field
    else:
        po["total_amount"] += 10                 # rule: total does not match the lines
    return po


with DAG("purchase_orders", start_date="2024-01-01", schedule="@daily", catchup=False,
         tags=["example", "procurement"], default_args={"owner": "supply_chain", "retries": 1}) as dag:

    @task
    def extract(ctx):
        day = ctx.ds_nodash
        rng = random.Random(day)
        shift = 1.0 + float(ctx.params.get("drift", 0))
        return [_malformed(rng, _order(rng, day, i, shift)) if rng.random() < 0.02
                else _order(rng, day, i, shift) for i in range(2000)]

    @task
    def validate_and_load(orders, ctx):
        valid = validate(orders, PURCHASE_ORDER, max_reject_ratio=0.05, destination=WAREHOUSE,
                         source=f"po-export/{ctx.ds}.json")
        landed = WAREHOUSE.deliver([(po["purchase_order_id"], po) for po in valid])
        ctx.log.info("%d valid orders, %d newly loaded", len(valid), landed)
        return [{"total_amount": po["total_amount"], "lines": len(po["items"]),
                 "vendor_id": po["vendor_id"]} for po in valid]

    @task
    def publish(summary):
        checked = drift_gate(summary, dataset="procurement.purchase_orders")
        return {"published_rows": len(checked)}

    publish(validate_and_load(extract()))
