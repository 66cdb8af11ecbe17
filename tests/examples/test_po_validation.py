"""examples/po_validation.py: the two good vendor files land in DuckDB, the bad one moves to
quarantine with a dead letter and opens one ticket; the dead letter, fixed and replayed,
lands once."""

from __future__ import annotations

from legato.config import load_settings
from legato.demo import seed
from legato.demo.standins import StandIns
from legato.io.warehouse import Warehouse
from legato.services import dead_letters

from .conftest import example, states


def test_bad_file_is_quarantined_ticketed_and_its_fix_replays_once(world: StandIns) -> None:
    seed.warehouse_reference_data()
    files = seed.vendor_po_files(world.bucket, "2024-03-01")
    dag = example("po_validation")["po_validation"]
    result = dag.run(logical_date="2024-03-01")
    assert result.state == "failed"
    assert "Invalid PO Format: 1 of 3" in result["validate_and_load_purchase_orders"].error
    assert result["validate_and_load_purchase_orders"].tries == 1      # a data error: no retry
    loaded = lambda: sorted(r["purchase_order_id"] for r in Warehouse().query(     # noqa: E731
        "SELECT purchase_order_id FROM procurement_orders"))
    assert loaded() == ["PO-A-20240301", "PO-G-20240301"]
    quarantine = world.bucket / "quarantine" / "po" / "2024-03-01"
    assert sorted(p.name for p in quarantine.iterdir()) == ["initech-20240301.json",
                                                             "initech-20240301.json.errors.json"]
    assert not files[2].exists() and files[0].exists()
    [ticket] = world.helpdesk.lifecycle()
    assert ticket["priority"] == "High" and ticket["components"] == ["procurement"]
    assert {"purchase_order", "invalid_po_format"} <= set(ticket["labels"])
    assert "data-quality check failed" in ticket["summary"]

    settings = load_settings()
    [letter] = dead_letters.list_letters(settings, dag_id="po_validation")
    assert any("total_amount" in e["message"] for e in letter.errors)
    dead_letters.fix(settings, letter.id, {**letter.record, "total_amount": 60.0})
    report = dead_letters.replay(settings, [letter.id])
    dead_letters.replay(settings, [letter.id])                          # a second replay: no-op
    assert report.replayed == [letter.id]
    assert loaded() == ["PO-A-20240301", "PO-G-20240301", "PO-I-20240301"]
    assert states(result)["extract_po_files"] == "success"
