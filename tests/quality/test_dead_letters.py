"""validate() inside tasks (thread and process workers), the dead-letter store, and replay.

Replay must land each record exactly once, including when it is interrupted after the
delivery and before the letter is marked, and then run again.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from qhelpers import PO_SCHEMA, write_dag

from legato.authoring.loader import load_file
from legato.config import load_settings
from legato.quality import Contract, SqlTable, validate
from legato.quality.errors import DataQualityError
from legato.services import dead_letters as dlq
from legato.services.queries import NotFound
from legato.store import dead_letters as store
from legato.store.db import open_engine


def _run(path: Path, executor: str = "local"):
    (dag,) = load_file(path).dags
    return dag.run(executor=executor)


def _dest_rows(dest_db: Path) -> list[tuple]:
    engine = sa.create_engine(f"sqlite:///{dest_db}")
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(
                "SELECT purchase_order_id, total_amount FROM purchase_orders "
                "ORDER BY purchase_order_id")))
    finally:
        engine.dispose()


@pytest.mark.parametrize("executor", ["local", "local:process"])
def test_invalid_records_are_dead_lettered_with_attribution(tmp_path: Path, executor: str) -> None:
    dest = tmp_path / "warehouse.db"
    result = _run(write_dag(tmp_path, dest), executor)
    assert result.state == "success", result["load"].error
    assert result["load"].result == 3                       # the three valid orders
    letters = dlq.list_letters(load_settings())
    assert [x.record_index for x in letters] == [1, 3, 4]
    for x in letters:
        assert (x.dag_id, x.task_id, x.run_id) == ("po_ingest", "load", result.run_id)
        assert x.try_number == 1 and x.contract == "purchase_order" and x.status == "pending"
        assert x.source == "orders.json" and x.destination == "purchase_orders"
    by_index = {x.record_index: x for x in letters}
    assert [e["path"] for e in by_index[1].errors] == ["$.items[0].quantity"]
    assert len(by_index[3].errors) == 4                     # id type + three missing fields
    assert by_index[4].errors[0]["kind"] == "rule"
    doc = by_index[1].to_json()
    assert {"id", "dag_id", "task_id", "run_id", "contract", "record", "errors", "status",
            "created_at"} <= set(doc)


def test_over_the_ratio_the_task_fails_once_with_data_quality_error(tmp_path: Path) -> None:
    path = write_dag(tmp_path, tmp_path / "w.db", ratio=0.4)
    (dag,) = load_file(path).dags
    dag.tasks["load"].retries = 3                           # a DataQualityError is not retried
    result = dag.run()
    load = result["load"]
    assert result.state == "failed" and load.state == "failed"
    assert "3 of 6 records rejected" in load.error and load.tries == 1
    assert len(dlq.list_letters(load_settings())) == 3      # written before the failure


def test_outside_a_task_validate_still_dead_letters() -> None:
    c = Contract(PO_SCHEMA, name="adhoc")
    with pytest.raises(DataQualityError, match="1 of 1"):
        validate([{"x": 1}], c)
    (letter,) = dlq.list_letters(load_settings())
    assert letter.dag_id is None and letter.contract == "adhoc"


def test_writing_the_same_letters_twice_stores_them_once() -> None:
    engine = open_engine(load_settings().database_url)
    from datetime import UTC, datetime

    row = {"key": "k" * 64, "dag_id": "d", "task_id": "t", "run_id": "r", "map_index": -1,
           "try_number": 1, "call_seq": 0, "record_index": 0, "contract": "c",
           "record": {"a": 1}, "errors": [], "created_at": datetime.now(UTC)}
    with engine.begin() as conn:
        store.insert_many(conn, [row])
        store.insert_many(conn, [dict(row)])
    assert len(dlq.list_letters(load_settings())) == 1


def test_fix_discard_and_their_refusals(tmp_path: Path) -> None:
    _run(write_dag(tmp_path, tmp_path / "w.db"))
    settings = load_settings()
    first, second, _ = dlq.list_letters(settings)
    fixed = dlq.fix(settings, first.id, {"purchase_order_id": "fixed"})
    assert fixed.record == {"purchase_order_id": "fixed"} and fixed.status == "pending"
    assert dlq.discard(settings, second.id).status == "discarded"
    with pytest.raises(ValueError, match="discarded"):
        dlq.fix(settings, second.id, {})
    with pytest.raises(ValueError, match="discarded"):
        dlq.discard(settings, second.id)
    with pytest.raises(NotFound):
        dlq.show(settings, 999)
    assert [x.id for x in dlq.list_letters(settings, status="discarded")] == [second.id]
    with pytest.raises(ValueError, match="unknown status"):
        dlq.list_letters(settings, status="nope")


def _fix_all(settings) -> list[int]:
    """Correct every pending letter the way an operator would; returns their ids."""
    from qhelpers import po

    ids = []
    for x in dlq.list_letters(settings, status="pending"):
        dlq.fix(settings, x.id, po(100 + x.record_index))
        ids.append(x.id)
    return ids


def test_replay_revalidates_and_delivers_once(tmp_path: Path) -> None:
    dest = tmp_path / "w.db"
    _run(write_dag(tmp_path, dest))
    settings = load_settings()
    letters = dlq.list_letters(settings)
    dlq.fix(settings, letters[0].id, {"purchase_order_id": "still bad"})
    from qhelpers import po

    dlq.fix(settings, letters[1].id, po(104))
    report = dlq.replay(settings, [letters[0].id, letters[1].id, 12345])
    assert report.replayed == [letters[1].id]
    assert list(report.still_invalid) == [letters[0].id]
    assert report.skipped == {12345: "no such dead letter"}
    assert dlq.show(settings, letters[0].id).status == "pending"
    assert "vendor_id" in json.dumps(dlq.show(settings, letters[0].id).errors)
    assert dlq.show(settings, letters[1].id).status == "replayed"
    again = dlq.replay(settings, all_=True)                # replayed letters are not replayable
    assert again.replayed == [] and letters[1].id not in again.skipped
    assert [r[0] for r in _dest_rows(dest)].count("PO-104") == 1


def test_replay_killed_between_delivery_and_marking_lands_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "w.db"
    _run(write_dag(tmp_path, dest))
    settings = load_settings()
    ids = _fix_all(settings)
    real = store.transition

    def crash_before_marking(conn, letter_id, from_status, to_status, at, **values):
        if to_status == "replayed":
            raise KeyboardInterrupt("killed after delivery")
        return real(conn, letter_id, from_status, to_status, at, **values)

    monkeypatch.setattr(store, "transition", crash_before_marking)
    with pytest.raises(KeyboardInterrupt):
        dlq.replay(settings, ids)
    assert {dlq.show(settings, i).status for i in ids} == {"replaying"}
    assert len(_dest_rows(dest)) == 3 + len(ids)            # delivered, not yet marked
    monkeypatch.setattr(store, "transition", real)
    for _ in range(2):                                      # the repeat and one more
        report = dlq.replay(settings, dag_id="po_ingest")
    assert {dlq.show(settings, i).status for i in ids} == {"replayed"}
    names = [r[0] for r in _dest_rows(dest)]
    assert len(names) == len(set(names)) == 3 + len(ids)
    assert report.replayed == []


def test_replay_when_the_destination_fails_after_writing(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "w.db"
    _run(write_dag(tmp_path, dest))
    settings = load_settings()
    ids = _fix_all(settings)
    real = SqlTable._deliver_once

    def deliver_then_fail(self, items):
        real(self, items)
        raise ConnectionError("network dropped after the commit")

    monkeypatch.setattr(SqlTable, "_deliver_once", deliver_then_fail)
    report = dlq.replay(settings, ids)
    assert set(report.failed) == set(ids) and report.replayed == []
    monkeypatch.setattr(SqlTable, "_deliver_once", real)
    report = dlq.replay(settings, ids)
    assert sorted(report.replayed) == sorted(ids)
    names = [r[0] for r in _dest_rows(dest)]
    assert len(names) == len(set(names)) == 3 + len(ids)


def test_a_later_try_supersedes_the_letters_of_earlier_tries(tmp_path: Path) -> None:
    dest = tmp_path / "w.db"
    path = write_dag(tmp_path, dest)
    source = path.read_text().replace(
        "return ORDERS_TABLE.write(valid)",
        "from legato.authoring.context import current_context\n"
        "        if current_context().try_number == 1:\n"
        "            raise RuntimeError('transient')\n"
        "        return ORDERS_TABLE.write(valid)")
    path.write_text(source)
    loaded = load_file(path)
    assert not loaded.errors, loaded.errors
    (dag,) = loaded.dags
    dag.tasks["load"].retries = 1
    dag.tasks["load"].retry_delay = __import__("datetime").timedelta(0)
    result = dag.run()
    assert result.state == "success"
    letters = dlq.list_letters(load_settings())
    assert sorted(x.status for x in letters) == ["pending"] * 3 + ["superseded"] * 3
    assert {x.try_number for x in letters if x.status == "pending"} == {2}


def test_replay_needs_a_resolvable_contract_and_destination(tmp_path: Path) -> None:
    c = Contract(PO_SCHEMA, name="no_destination")
    with pytest.raises(DataQualityError):
        validate([{"x": 1}], c, max_reject_ratio=0)
    settings = load_settings()
    (letter,) = dlq.list_letters(settings)
    report = dlq.replay(settings, [letter.id])
    assert "no destination" in report.failed[letter.id]
    with pytest.raises(ValueError, match="say which"):
        dlq.replay(settings)


def test_replay_uses_the_dag_file_as_it_is_now(tmp_path: Path) -> None:
    """An operator may fix the contract instead of the record: replay re-reads the file."""
    dest = tmp_path / "w.db"
    path = write_dag(tmp_path, dest)
    _run(path)
    settings = load_settings()
    rule_letter = next(x for x in dlq.list_letters(settings) if x.errors[0]["kind"] == "rule")
    assert dlq.replay(settings, [rule_letter.id]).still_invalid
    path.write_text(path.read_text().replace("rules=[total_matches]", "rules=[]"))
    os.utime(path, (time.time() + 5, time.time() + 5))     # a visibly newer file
    assert dlq.replay(settings, [rule_letter.id]).replayed == [rule_letter.id]


def test_destination_by_name_and_a_bad_destination() -> None:
    from legato.quality import destination

    landed: dict[str, dict] = {}

    @destination("erp")
    def erp(items):
        fresh = [(k, r) for k, r in items if k not in landed]
        landed.update(fresh)
        return len(fresh)

    c = Contract(PO_SCHEMA, name="by_name")
    validate([{"x": 1}], c, max_reject_ratio=1, destination="erp")
    with pytest.raises(TypeError, match="destination"):
        validate([{"x": 1}], c, max_reject_ratio=1, destination=object())  # type: ignore[arg-type]
    settings = load_settings()
    (letter,) = dlq.list_letters(settings)
    assert letter.destination == "erp"
    from qhelpers import po

    dlq.fix(settings, letter.id, po(1))
    assert dlq.replay(settings, [letter.id]).replayed == [letter.id]
    assert list(landed.values()) == [po(1)]
