"""SqlTask reaches the embedded DuckDB warehouse that legato.io loads by default (issue 10 item
32): with no conn_id it runs against $LEGATO_HOME/warehouse.duckdb, and a connection of type
duckdb names another DuckDB file; one transaction, `:name` placeholders, the same results."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato import DAG, task
from legato.io.warehouse import Warehouse
from legato.tasks import SqlTask


def test_without_conn_id_sqltask_queries_the_default_warehouse(legato_home: Path) -> None:
    with DAG("wh_report") as dag:
        @task
        def load(ctx):
            Warehouse().load("sales", [{"day": ctx.ds, "amount": 10.5}, {"day": ctx.ds, "amount": 4.5}],
                             mode="replace_partition", partition={"day": ctx.ds})

        report = SqlTask("report", "SELECT day, sum(amount) AS total FROM sales WHERE day = :d "
                                   "GROUP BY day", parameters={"d": "{{ ds }}"})
        count = SqlTask("count", "SELECT count(*) FROM sales", fetch="one")
        load() >> [report, count]

    result = dag.run(logical_date="2024-03-01")
    assert result.state == "success", {t: result[t].error for t in result}
    assert result["report"].result == [["2024-03-01", 15.0]]
    assert result["count"].result == [2]
    assert (legato_home / "warehouse.duckdb").is_file()


def test_statements_run_in_one_transaction_on_duckdb(legato_home: Path) -> None:
    with DAG("wh_tx") as dag:
        SqlTask("setup", "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1)",
                fetch="none")
    assert dag.run().state == "success"
    with DAG("wh_tx_fail") as failing:
        SqlTask("broken", ["INSERT INTO t VALUES (:a)", "INSERT INTO t VALUES (1)"],   # 1 is taken
                parameters={"a": 2, "unused": "x"})
    result = failing.run()
    assert result.state == "failed" and "Constraint" in (result["broken"].error or "")
    assert Warehouse().query("SELECT id FROM t ORDER BY id") == [{"id": 1}]   # 2 rolled back
    with DAG("wh_tx_ok") as ok:
        SqlTask("insert", "INSERT INTO t VALUES (:a)", parameters={"a": 2, "unused": "x"})
    done = ok.run()
    assert done["insert"].state == "success" and done["insert"].result is None
    assert Warehouse().query("SELECT id FROM t ORDER BY id") == [{"id": 1}, {"id": 2}]


def test_a_duckdb_connection_names_another_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "lake" / "other.duckdb"
    monkeypatch.setenv("LEGATO_CONN_LAKE", f"duckdb:///{path}")
    Warehouse("lake").load("events", [{"id": 1, "kind": "click"}, {"id": 2, "kind": "view"}])
    with DAG("lake_query") as dag:
        SqlTask("kinds", "SELECT kind FROM events ORDER BY id", conn_id="lake")
    result = dag.run()
    assert result["kinds"].state == "success", result["kinds"].error
    assert result["kinds"].result == [["click"], ["view"]]
