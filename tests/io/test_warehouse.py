"""Warehouse loads on a real DuckDB file and on a scratch database of the machine's PostgreSQL
(tests/services.py): each mode run twice leaves the same table, a failing load changes nothing,
and bad names or records are refused before any statement runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.io.sqlnames import BadName
from legato.io.warehouse import Warehouse, default_url
from legato.quality import Contract
from services import service_url

ENGINES = ["duckdb", "postgresql"]          # PostgreSQL: a scratch database (conftest.py)


@pytest.fixture(params=ENGINES)
def wh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        yield Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
        return
    w = Warehouse(request.getfixturevalue("scratch_postgres_url"))
    yield w
    w.backend.engine.dispose()      # type: ignore[union-attr]


def rows(wh: Warehouse, table: str, order: str = "id") -> list[dict[str, object]]:
    return wh.query(f'SELECT * FROM "{table}" ORDER BY "{order}"')


DAY1 = [{"id": 1, "day": "2024-03-01", "amount": 10.5}, {"id": 2, "day": "2024-03-01", "amount": 7.0}]
DAY2 = [{"id": 3, "day": "2024-03-02", "amount": 1.0}]


def test_replace_partition_twice_keeps_each_row_once(wh: Warehouse) -> None:
    first = wh.load("sales", DAY1, mode="replace_partition", partition={"day": "2024-03-01"})
    wh.load("sales", DAY2, mode="replace_partition", partition={"day": "2024-03-02"})
    again = wh.load("sales", DAY1, mode="replace_partition", partition={"day": "2024-03-01"})
    assert (first.inserted, first.deleted) == (2, 0)
    assert (again.inserted, again.deleted) == (2, 2)
    assert [r["id"] for r in rows(wh, "sales")] == [1, 2, 3]
    fixed = wh.load("sales", [{"id": 1, "amount": 11.0}], mode="replace_partition",
                    partition={"day": "2024-03-01"})          # the partition column is filled in
    assert (fixed.inserted, fixed.deleted) == (1, 2)
    assert rows(wh, "sales") == [{"id": 1, "day": "2024-03-01", "amount": 11.0}, DAY2[0]]


def test_merge_twice_upserts_by_key_and_reports_only_real_changes(wh: Warehouse) -> None:
    base = [{"id": 1, "name": "Ann", "tags": ["a"]}, {"id": 2, "name": "Bo", "tags": []}]
    assert wh.load("people", base, mode="merge", keys=["id"]).inserted == 2
    repeat = wh.load("people", base, mode="merge", keys=["id"])
    assert (repeat.inserted, repeat.updated) == (0, 0)
    change = wh.load("people", [{"id": 2, "name": "Bob", "tags": []}, {"id": 3, "name": "Cy"}],
                     mode="merge", keys=["id"])
    assert (change.inserted, change.updated) == (1, 1)
    wh.load("people", [{"id": 2, "name": "Bob", "tags": []}, {"id": 3, "name": "Cy"}],
            mode="merge", keys=["id"])
    assert rows(wh, "people") == [{"id": 1, "name": "Ann", "tags": '["a"]'},
                                  {"id": 2, "name": "Bob", "tags": "[]"},
                                  {"id": 3, "name": "Cy", "tags": None}]


def test_append_with_a_load_id_is_a_no_op_the_second_time(wh: Warehouse) -> None:
    batch = [{"id": 1, "event": "click"}, {"id": 2, "event": "view"}]
    assert wh.load("events", batch, load_id="2024-03-01/run-1").inserted == 2
    again = wh.load("events", batch, load_id="2024-03-01/run-1")
    assert again.skipped and again.inserted == 0
    assert len(rows(wh, "events")) == 2
    wh.load("events", batch)                       # without load_id an append always appends
    assert len(rows(wh, "events")) == 4
    marks = wh.query('SELECT "load_id", "table_name", "rows" FROM legato_loads')
    assert marks == [{"load_id": "2024-03-01/run-1", "table_name": "events", "rows": 2}]


def test_a_failing_load_leaves_the_table_and_its_marks_unchanged(wh: Warehouse) -> None:
    wh.load("sales", DAY1, mode="replace_partition", partition={"day": "2024-03-01"})
    broken = [{"id": 9, "day": "2024-03-01", "amount": 1.0},
              {"id": 10, "day": "2024-03-01", "amount": "not a number"}]
    with pytest.raises(Exception):  # noqa: B017 - the engine's own conversion error
        wh.load("sales", broken, mode="replace_partition", partition={"day": "2024-03-01"})
    assert [r["id"] for r in rows(wh, "sales")] == [1, 2]      # the delete was rolled back too
    with pytest.raises(Exception):  # noqa: B017
        wh.load("sales", broken[::-1], load_id="once")
    assert wh.load("sales", DAY2, load_id="once").inserted == 1  # the failed load left no mark


def test_a_new_table_takes_its_types_from_a_contract(wh: Warehouse) -> None:
    contract = Contract({"type": "object", "properties": {
        "id": {"type": "integer"}, "day": {"type": "string", "format": "date"},
        "total": {"type": ["number", "null"]}, "ok": {"type": "boolean"}}}, name="io_totals")
    wh.load("totals", [{"id": 1, "day": "2024-03-01", "total": 2.5, "ok": True}], schema=contract)
    got = wh.query("SELECT id + 1 AS next_id, total * 2 AS twice, ok FROM totals "
                   "WHERE day = :d", {"d": "2024-03-01"})
    assert got == [{"next_id": 2, "twice": 5.0, "ok": True}]


def test_bad_names_and_records_are_refused_before_anything_runs(wh: Warehouse) -> None:
    with pytest.raises(BadName, match="bad table name 'sales; DROP TABLE x'"):
        wh.load("sales; DROP TABLE x", DAY1)
    with pytest.raises(BadName, match="bad column name 'amount\"--'"):
        wh.load("sales", [{"id": 1, 'amount"--': 1}])
    with pytest.raises(ValueError, match="mode must be one of"):
        wh.load("sales", DAY1, mode="upsert")
    with pytest.raises(ValueError, match="needs keys"):
        wh.load("sales", DAY1, mode="merge")
    with pytest.raises(ValueError, match="appears twice"):
        wh.load("sales", DAY1 + DAY1[:1], mode="merge", keys=["id"])
    with pytest.raises(ValueError, match="outside the partition day='2024-03-02'"):
        wh.load("sales", DAY1, mode="replace_partition", partition={"day": "2024-03-02"})
    wh.load("sales", DAY1)
    with pytest.raises(ValueError, match=r"no column\(s\) \['colour'\]"):
        wh.load("sales", [{"id": 5, "colour": "red"}])
    assert len(rows(wh, "sales")) == 2


def test_the_default_warehouse_is_a_duckdb_file_in_legato_home(legato_home: Path) -> None:
    assert default_url() == f"duckdb:///{legato_home / 'warehouse.duckdb'}"
    Warehouse().load("t", [{"id": 1}])
    assert (legato_home / "warehouse.duckdb").is_file()
    assert Warehouse().query("SELECT count(*) AS n FROM t") == [{"n": 1}]


def test_a_connection_id_names_the_warehouse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEGATO_CONN_DWH", f"duckdb:///{tmp_path / 'dwh.duckdb'}")
    Warehouse("dwh").load("t", [{"id": 1}])
    assert Warehouse(f"duckdb:///{tmp_path / 'dwh.duckdb'}").query("SELECT id FROM t") == [{"id": 1}]



def test_a_connection_id_names_a_postgres_warehouse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_CONN_PG", service_url("postgres"))
    assert Warehouse("pg").query("SELECT 1 AS one") == [{"one": 1}]
