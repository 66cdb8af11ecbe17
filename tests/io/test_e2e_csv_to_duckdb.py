"""End to end: a DAG reads the day's CSV files through legato.io.storage and loads them into
DuckDB with replace_partition; run twice for one logical date through dag.run(), the table
holds each row once (and a corrected file replaces the day, not adds to it)."""

from __future__ import annotations

from pathlib import Path

from legato import DAG, task
from legato.io import storage
from legato.io.warehouse import Warehouse


def build(landing: Path, db: Path) -> DAG:
    with DAG("io_csv_to_duckdb", schedule=None) as dag:
        @task
        def extract(ds: str) -> list[dict[str, object]]:
            rows: list[dict[str, object]] = []
            for path in storage.ls(f"{landing}/{ds}/*.csv"):
                rows += [{**r, "amount": float(r["amount"]), "source": Path(path).name}
                         for r in storage.read_csv(path)]
            return rows

        @task
        def load(rows: list[dict[str, object]], ds: str) -> dict[str, object]:
            result = Warehouse(f"duckdb:///{db}").load(
                "ledger", rows, mode="replace_partition", partition={"day": ds})
            return result.to_json()

        load(extract())
    return dag


def test_running_a_day_twice_leaves_each_row_once(tmp_path: Path) -> None:
    landing, db = tmp_path / "landing", tmp_path / "wh.duckdb"
    storage.write_csv(f"{landing}/2024-03-01/eu.csv", [{"id": 1, "amount": "10.5"},
                                                       {"id": 2, "amount": "4"}])
    storage.write_csv(f"{landing}/2024-03-01/us.csv", [{"id": 3, "amount": "7.25"}])
    storage.write_csv(f"{landing}/2024-03-02/eu.csv", [{"id": 4, "amount": "1"}])
    dag = build(landing, db)
    first = dag.run("2024-03-01")
    second = dag.run("2024-03-01")
    assert first.state == second.state == "success"
    assert first["load"].result == {"table": "ledger", "mode": "replace_partition", "inserted": 3,
                                    "deleted": 0, "updated": 0, "skipped": False}
    assert second["load"].result["deleted"] == 3
    assert dag.run("2024-03-02").state == "success"
    wh = Warehouse(f"duckdb:///{db}")
    assert wh.query("SELECT day, id, amount, source FROM ledger ORDER BY id") == [
        {"day": "2024-03-01", "id": "1", "amount": 10.5, "source": "eu.csv"},
        {"day": "2024-03-01", "id": "2", "amount": 4.0, "source": "eu.csv"},
        {"day": "2024-03-01", "id": "3", "amount": 7.25, "source": "us.csv"},
        {"day": "2024-03-02", "id": "4", "amount": 1.0, "source": "eu.csv"}]
    storage.write_csv(f"{landing}/2024-03-01/us.csv", [{"id": 3, "amount": "8"}])  # a correction
    assert dag.run("2024-03-01").state == "success"
    assert wh.query("SELECT count(*) AS n, sum(amount) AS total FROM ledger WHERE day = :d",
                    {"d": "2024-03-01"}) == [{"n": 3, "total": 22.5}]
