"""examples/po_file_events.py: per uploaded file, a good order is published to the validated
topic and merged into DuckDB by its subscriber; a bad one goes to the dead-letter store and the
error topic (kept and posted to the chat by its subscriber) and opens one ticket, and its
fixed dead letter replays into the same table once."""

from __future__ import annotations

from pathlib import Path

from legato.config import load_settings
from legato.demo import seed
from legato.demo.standins import StandIns
from legato.io.warehouse import Warehouse
from legato.services import dead_letters

from .conftest import example, queue_messages


def arrival(path: Path) -> dict:
    """The event a FileArrival trigger hands a run."""
    return {"trigger": "file", "url": str(path), "path": str(path), "size": path.stat().st_size}


def test_each_file_is_validated_routed_and_landed(world: StandIns) -> None:
    files = seed.incoming_po_files(world.bucket / "incoming-purchase-orders")
    dags = example("po_file_events")
    function, loader, error_log = (dags[n] for n in ("po_file_function", "po_validated_loader",
                                                      "po_error_log"))
    runs = {name: function.run(event=arrival(p)) for name, p in files.items()}
    assert {n: r.state for n, r in runs.items()} == {
        "stark-0001.xml": "success", "wayne-0002.csv": "success", "hooli-0003.csv": "failed"}
    validated = queue_messages("validated-purchase-orders")
    assert [m["purchase_order_id"] for m in validated] == ["PO-X-0001", "PO-C-0002"]
    assert validated[0]["_source_file"] == "stark-0001.xml" and validated[0]["total_amount"] == 215.5
    [error] = queue_messages("po-processing-errors")
    assert "hooli-0003.csv" in error["error"] and "quantity" in error["error"].lower()

    for message in validated:
        assert loader.run(event=message).state == "success"
    assert error_log.run(event=error).state == "success"
    rows = Warehouse().query("SELECT purchase_order_id, total_amount FROM purchase_orders_validated "
                             "ORDER BY 1")
    assert rows == [{"purchase_order_id": "PO-C-0002", "total_amount": 39.0},
                    {"purchase_order_id": "PO-X-0001", "total_amount": 215.5}]
    assert Warehouse().query("SELECT count(*) AS n FROM po_processing_errors") == [{"n": 1}]
    assert "hooli-0003.csv" in world.chat.texts()[0]

    [ticket] = world.helpdesk.lifecycle()
    assert ticket["priority"] == "Medium" and ticket["components"] == ["data-ingestion"]
    assert {"automated", "purchase_order", "processing_failure"} <= set(ticket["labels"])
    settings = load_settings()
    [letter] = dead_letters.list_letters(settings, dag_id="po_file_function")
    fixed = {**letter.record, "items": [{**letter.record["items"][0], "quantity": 1}],
             "total_amount": 9.99}
    dead_letters.fix(settings, letter.id, fixed)
    assert dead_letters.replay(settings, [letter.id]).replayed == [letter.id]
    assert len(Warehouse().query("SELECT 1 FROM purchase_orders_validated")) == 3
