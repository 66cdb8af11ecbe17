"""Shared pieces for the quality tests: the article's purchase-order schema and a DAG file."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

# The article's purchase-order schema, kept once beside the example that uses it.
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "examples" / "purchase_order.schema.json"
PO_SCHEMA = json.loads(SCHEMA_FILE.read_text())


def po(i: int, quantity: int = 2, price: float = 5.0) -> dict:
    return {"purchase_order_id": f"PO-{i}", "vendor_id": "V-1", "total_amount": quantity * price,
            "items": [{"sku": f"SKU-{i}", "quantity": quantity, "unit_price": price}]}


def write_dag(folder: Path, dest_db: Path | str, *, dag_id: str = "po_ingest",
              records: str = "ORDERS", ratio: float = 0.5) -> Path:
    """A DAG file with a module-level contract and SQL destination, as replay needs
    (`dest_db` a SQLite file, or a database URL)."""
    dest_url = dest_db if isinstance(dest_db, str) else f"sqlite:///{dest_db}"
    source = textwrap.dedent(f'''
        from legato import DAG, task
        from legato.quality import Contract, SqlTable, rule, validate

        SCHEMA = {PO_SCHEMA!r}

        @rule("total_amount must equal the sum of quantity * unit_price", path="$.total_amount")
        def total_matches(po):
            return abs(sum(i["quantity"] * i["unit_price"] for i in po["items"])
                       - po["total_amount"]) < 0.01

        PURCHASE_ORDER = Contract(SCHEMA, name="purchase_order", rules=[total_matches])
        ORDERS_TABLE = SqlTable("{dest_url}", "purchase_orders",
                                columns=["purchase_order_id", "vendor_id", "total_amount", "items"])

        def po(i, quantity=2, price=5.0):
            return {{"purchase_order_id": f"PO-{{i}}", "vendor_id": "V-1",
                    "total_amount": quantity * price,
                    "items": [{{"sku": f"SKU-{{i}}", "quantity": quantity, "unit_price": price}}]}}

        ORDERS = [po(1), po(2, quantity=0), po(3), {{"purchase_order_id": 4}},
                  dict(po(5), total_amount=99.0), po(6)]

        with DAG("{dag_id}") as dag:
            @task
            def load():
                valid = validate({records}, PURCHASE_ORDER, max_reject_ratio={ratio},
                                 destination=ORDERS_TABLE, source="orders.json")
                return ORDERS_TABLE.write(valid)
            load()
    ''')
    path = folder / f"{dag_id}.py"
    path.write_text(source)
    return path
