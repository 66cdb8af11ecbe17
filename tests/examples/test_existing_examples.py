"""The three examples that predate the gallery, in process: hello passes a value along;
complex_financial_reporting retries its flaky CRM extract with exponential backoff and skips
transform and load on an empty purchase-order feed while `end` (all_done) still runs;
purchase_orders lands the valid orders in its SQLite warehouse, dead-letters the malformed
ones with their reasons, and holds drifted data in quarantine."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from legato.config import load_settings
from legato.services import dead_letters

from .conftest import example, states


def test_hello() -> None:
    result = example("hello")["hello"].run()
    assert result.state == "success" and result["world"].result == "hello, world"


def test_complex_financial_reporting_retries_then_skips_on_an_empty_feed() -> None:
    dag = example("complex_financial_reporting")["complex_financial_reporting"]
    crm = dag.spec().tasks["extract_crm"].retry
    assert (crm.retries, crm.exponential) == (5, True)
    assert crm.max_delay_s == timedelta(seconds=2).total_seconds()
    result = dag.run(logical_date="2024-01-02")
    assert result.state == "success"
    assert result["extract_crm"].tries == 3 and result["extract_po"].tries == 1
    assert result["load_to_dw"].result == len("Transformed: CRM data + PO data")
    empty = dag.run(logical_date="2024-01-03", params={"po_empty": True})
    assert states(empty) == {"start": "success", "extract_crm": "success", "extract_po": "success",
                             "transform_financial_data": "skipped", "load_to_dw": "skipped",
                             "end": "success"}


def test_purchase_orders_lands_valid_rows_dead_letters_the_rest_and_holds_drift() -> None:
    dag = example("purchase_orders")["purchase_orders"]
    result = dag.run(logical_date="2024-03-01")
    assert result.state == "success"
    settings = load_settings()
    letters = dead_letters.list_letters(settings, dag_id="purchase_orders", limit=1000)
    with sqlite3.connect(settings.home / "warehouse.db") as db:
        landed = db.execute("SELECT count(*) FROM purchase_orders").fetchone()[0]
    assert 0 < len(letters) < 100 and landed + len(letters) == 2000
    assert all(letter.errors for letter in letters)
    drifted = dag.run(logical_date="2024-03-02", params={"drift": 1})
    assert drifted.state == "failed" and "drifted" in drifted["publish"].error
    held = list((settings.home / "quarantine").rglob("*.jsonl"))
    assert len(held) == 1 and held[0].read_text().count("\n") == landed_for(drifted)


def landed_for(result) -> int:
    """How many rows the drifted run validated (what publish held)."""
    return len(result["validate_and_load"].result)
