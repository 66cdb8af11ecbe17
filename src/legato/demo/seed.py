"""The world as it is before the gallery's pipelines run: files other systems dropped in the
bucket or the export folder, the sales database, the CRM's customers and the opening stock in
the warehouse, a ticket a customer opened. Each function writes one of them, from the
stand-ins' generated data (standins/data.py), and returns where; `legato demo` and the tests
call the ones an example needs.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .standins import data

PO_EXPORT_COLUMNS = ("id", "vendor_id", "product_sku", "quantity", "unit_price", "amount",
                     "status", "created_date")


def app_logs(bucket: Path, hour: datetime) -> Path:
    """An hour of the web application's request log, as it ships it: JSON lines."""
    path = bucket / "logs" / f"{hour:%Y-%m-%dT%H}" / "application.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in data.application_logs(hour)))
    return path


def warehouse_reference_data(warehouse_url: str | None = None) -> None:
    """The CRM's customers and the opening stock, in the warehouse (merged: safe to repeat)."""
    from ..io.warehouse import Warehouse

    wh = Warehouse(warehouse_url)
    wh.load("customers", data.customers(), mode="merge", keys=["customer_id"])
    wh.load("stock", data.stock(), mode="merge", keys=["sku"])


def sales_db(path: Path, days: Iterable[date | str]) -> Path:
    """The shop's sales database (SQLite): a `transactions` table holding `days`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [r for d in days for r in data.sales(d)]
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS transactions (transaction_id TEXT PRIMARY KEY, "
                   "customer_id TEXT, product_id TEXT, quantity INTEGER, amount REAL, "
                   "date TEXT, created_at TEXT)")
        db.executemany("INSERT OR REPLACE INTO transactions VALUES (:transaction_id, "
                       ":customer_id, :product_id, :quantity, :amount, :date, :created_at)", rows)
    return path


def po_export(exports: Path, day: date | str) -> Path:
    """The purchase-order system's nightly export of `day`: `<exports>/<day>/orders.csv`."""
    day = data.as_date(day)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PO_EXPORT_COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(data.purchase_orders(day))
    path = exports / day.isoformat() / "orders.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.getvalue())
    return path


def vendor_po(number: str, vendor: str, lines: list[tuple[str, int, float]], *,
              total: float | None = None) -> dict[str, Any]:
    """A purchase order as vendors send it (the article's canonical JSON)."""
    items = [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines]
    computed = round(sum(q * p for _, q, p in lines), 2)
    return {"purchase_order_id": number, "vendor_id": vendor, "items": items,
            "total_amount": computed if total is None else total}


def vendor_po_files(bucket: Path, day: date | str) -> list[Path]:
    """Three vendor purchase-order files for `day`: two good, one whose total is wrong."""
    day = data.as_date(day)
    folder = bucket / "incoming" / "po" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{day:%Y%m%d}"
    orders = {f"acme-{stem}.json": vendor_po(f"PO-A-{stem}", "V-ACME",
                                              [("SKU-1001", 10, 12.5), ("SKU-1002", 4, 99.0)]),
              f"globex-{stem}.json": vendor_po(f"PO-G-{stem}", "V-GLOBEX", [("SKU-1003", 2, 250.0)]),
              f"initech-{stem}.json": vendor_po(f"PO-I-{stem}", "V-INITECH",
                                                 [("SKU-1004", 3, 20.0)], total=75.0)}
    paths = []
    for name, po in orders.items():
        (folder / name).write_text(json.dumps(po, indent=2))
        paths.append(folder / name)
    return paths


def po_xml(po: dict[str, Any]) -> str:
    items = "".join(f"<Item><SKU>{i['sku']}</SKU><Quantity>{i['quantity']}</Quantity>"
                    f"<UnitPrice>{i['unit_price']}</UnitPrice></Item>" for i in po["items"])
    return (f"<PurchaseOrder><PONumber>{po['purchase_order_id']}</PONumber>"
            f"<VendorID>{po['vendor_id']}</VendorID>{items}</PurchaseOrder>")


def po_csv(po: dict[str, Any]) -> str:
    rows = "".join(f"{po['purchase_order_id']},{po['vendor_id']},{i['sku']},{i['quantity']},"
                   f"{i['unit_price']}\n" for i in po["items"])
    return "purchase_order_id,vendor_id,sku,quantity,unit_price\n" + rows


def incoming_po_files(folder: Path) -> dict[str, Path]:
    """What vendors upload to the incoming bucket: an XML and a CSV order, and a CSV whose
    quantity is 0 (the JSON Schema says at least 1). Name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    good_xml = vendor_po("PO-X-0001", "V-STARK", [("SKU-1005", 5, 40.0), ("SKU-1006", 1, 15.5)])
    good_csv = vendor_po("PO-C-0002", "V-WAYNE", [("SKU-1007", 12, 3.25)])
    bad_csv = vendor_po("PO-C-0003", "V-HOOLI", [("SKU-1008", 0, 9.99)])
    files = {"stark-0001.xml": po_xml(good_xml), "wayne-0002.csv": po_csv(good_csv),
             "hooli-0003.csv": po_csv(bad_csv)}
    out = {}
    for name, text in files.items():
        (folder / name).write_text(text)
        out[name] = folder / name
    return out


def customer_ticket(helpdesk_url: str, customer_id: str = "C-007",
                    summary: str = "Checkout fails with a 500 for every card payment") -> str:
    """A customer reports an outage: a High ticket in the helpdesk; its key."""
    import httpx

    from .standins import helpdesk

    fields = {"project": {"key": "SUP"}, "issuetype": {"name": "Incident"}, "summary": summary,
              "priority": {"name": "High"}, "labels": ["customer-reported", f"customer-{customer_id}"]}
    r = httpx.post(f"{helpdesk_url}/rest/api/3/issue", auth=(helpdesk.USER, helpdesk.TOKEN),
                   json={"fields": fields}, timeout=10)
    r.raise_for_status()
    return str(r.json()["key"])
