"""`Warehouse.execute` as its docstring says: one statement that returns no rows, committed on
return, `:name` parameters bound, the changed row count where the engine reports it; MERGE on
the embedded DuckDB."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.io.warehouse import Warehouse


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    return Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")


def test_ddl_then_dml_counts_and_binds(wh: Warehouse) -> None:
    wh.execute("CREATE TABLE spend (po_id VARCHAR PRIMARY KEY, amount DOUBLE)")
    assert wh.execute("INSERT INTO spend VALUES (:a, 1.5), (:b, 2.5)", {"a": "P1", "b": "P2"}) == 2
    assert wh.execute("UPDATE spend SET amount = amount * 2 WHERE po_id = :id", {"id": "P1"}) == 1
    assert wh.execute("DELETE FROM spend WHERE amount > :x", {"x": 100}) == 0
    assert wh.query("SELECT po_id, amount FROM spend ORDER BY po_id") == [
        {"po_id": "P1", "amount": 3.0}, {"po_id": "P2", "amount": 2.5}]


def test_merge_upserts_and_running_it_twice_changes_nothing_more(wh: Warehouse) -> None:
    wh.execute("CREATE TABLE fact (po_id VARCHAR PRIMARY KEY, amount DOUBLE)")
    wh.execute("INSERT INTO fact VALUES ('P1', 1.0)")
    wh.load("stage", [{"po_id": "P1", "amount": 9.0}, {"po_id": "P2", "amount": 2.0}])
    merge = ("MERGE INTO fact AS t USING stage AS s ON t.po_id = s.po_id "
             "WHEN MATCHED THEN UPDATE SET amount = s.amount "
             "WHEN NOT MATCHED THEN INSERT (po_id, amount) VALUES (s.po_id, s.amount)")
    assert wh.execute(merge) == 2
    wh.execute(merge)
    assert wh.query("SELECT po_id, amount FROM fact ORDER BY po_id") == [
        {"po_id": "P1", "amount": 9.0}, {"po_id": "P2", "amount": 2.0}]


def test_a_failing_statement_leaves_nothing_behind(wh: Warehouse) -> None:
    wh.execute("CREATE TABLE t (x INTEGER NOT NULL)")
    with pytest.raises(Exception, match="NOT NULL"):
        wh.execute("INSERT INTO t VALUES (1), (NULL)")
    assert wh.query("SELECT count(*) AS n FROM t") == [{"n": 0}]
