"""CSV columns typed on request (`storage.read_csv(schema= | dtypes= | infer=)`), one rule per
column, and the typed rows landing in DuckDB as numbers, not text."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.io import storage
from legato.io.warehouse import Warehouse
from legato.quality import Contract

CSV = ("transaction_id,sku,amount,quantity,paid,zip,note\n"
       "T-1,007,10.5,2,true,02134,first\n"
       "T-2,012,,3,false,10001,\n"
       "T-3,100,7,1,true,94105,third\n")


@pytest.fixture
def path(tmp_path: Path) -> str:
    target = tmp_path / "sales.csv"
    target.write_text(CSV)
    return str(target)


def test_untyped_by_default(path: str) -> None:
    first = storage.read_csv(path)[0]
    assert first["amount"] == "10.5" and first["quantity"] == "2" and first["paid"] == "true"


def test_infer_types_whole_columns_and_keeps_identifiers_as_text(path: str) -> None:
    rows = storage.read_csv(path, infer=True)
    assert [r["amount"] for r in rows] == [10.5, None, 7.0]      # one float column, empty -> None
    assert [r["quantity"] for r in rows] == [2, 3, 1]
    assert [r["paid"] for r in rows] == [True, False, True]
    assert [r["sku"] for r in rows] == ["007", "012", "100"]    # a leading zero: identifiers
    assert [r["zip"] for r in rows] == ["02134", "10001", "94105"]
    assert [r["note"] for r in rows] == ["first", "", "third"]   # text keeps its empty string


def test_a_schema_types_its_columns_and_dtypes_win(path: str) -> None:
    schema = Contract({"type": "object", "properties": {
        "amount": {"type": ["number", "null"]}, "quantity": {"type": "integer"},
        "paid": {"type": "boolean"}, "sku": {"type": "string"}}}, name="sales_row")
    rows = storage.read_csv(path, schema=schema, dtypes={"quantity": float, "zip": int})
    assert rows[0] == {"transaction_id": "T-1", "sku": "007", "amount": 10.5, "quantity": 2.0,
                       "paid": True, "zip": 2134, "note": "first"}
    assert isinstance(rows[0]["quantity"], float)


def test_a_value_that_does_not_convert_names_line_and_column(path: str) -> None:
    with pytest.raises(ValueError, match=r"sales.csv: line 2, column 'note': cannot convert 'first'"):
        storage.read_csv(path, dtypes={"note": int})
    with pytest.raises(ValueError, match="dtypes\\['x'\\] must be a type"):
        storage.read_csv(path, dtypes={"x": "int"})


def test_typed_rows_land_in_duckdb_as_numbers(path: str, tmp_path: Path) -> None:
    wh = Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    wh.load("sales", storage.read_csv(path, infer=True), mode="replace_partition",
            partition={"day": "2024-03-01"})
    [row] = wh.query("SELECT sum(amount) AS total, sum(quantity) AS units, "
                     "typeof(amount) AS kind FROM sales GROUP BY kind")
    assert row == {"total": 17.5, "units": 6, "kind": "DOUBLE"}


def test_json_lines_round_trip(tmp_path: Path) -> None:
    url = str(tmp_path / "raw" / "orders.json")
    storage.write_jsonl(url, [{"id": 1, "items": [1, 2]}, {"id": 2, "items": []}])
    assert Path(url).read_text().count("\n") == 2
    assert storage.read_jsonl(url) == [{"id": 1, "items": [1, 2]}, {"id": 2, "items": []}]
    Path(url).write_text('{"id": 1}\nnot json\n')
    with pytest.raises(ValueError, match="line 2 is not JSON"):
        storage.read_jsonl(url)
