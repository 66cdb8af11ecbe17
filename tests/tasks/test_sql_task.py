"""SqlTask against a SQLite file and the machine's PostgreSQL (tests/services.py), via dag.run()."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from legato import DAG
from legato.authoring.variables import parse_connection
from legato.tasks import SqlTask
from legato.tasks.sql import json_safe, split_statements, sqlalchemy_url
from services import service_url


@pytest.fixture
def sqlite_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data" / "warehouse.db"
    path.parent.mkdir()
    assert path.is_absolute()
    monkeypatch.setenv("LEGATO_CONN_WH", f"sqlite:///{path}")     # sqlite:////abs/... form
    return path


def _orders_dag(conn_id: str, table: str) -> DAG:
    with DAG(f"orders_{conn_id}") as dag:
        create = SqlTask("create", f"""
            DROP TABLE IF EXISTS {table};
            CREATE TABLE {table} (id INTEGER PRIMARY KEY, item VARCHAR(50), qty INTEGER,
                                  day VARCHAR(10));
        """, conn_id=conn_id, fetch="none")
        insert = SqlTask("insert", [
            f"INSERT INTO {table} (id, item, qty, day) VALUES (1, :item, :qty, '{{{{ ds }}}}')",
            f"INSERT INTO {table} (id, item, qty, day) VALUES (2, 'semi;colon', 7, '2000-01-01')",
        ], conn_id=conn_id, parameters={"item": "{{ params.item }}", "qty": 5}, fetch="none")
        select = SqlTask("select", f"SELECT id, item, qty, day FROM {table} ORDER BY id",
                         conn_id=conn_id)
        count = SqlTask("count", f"SELECT count(*) FROM {table} WHERE day = '{{{{ ds }}}}'",
                        conn_id=conn_id, fetch="one")
        create >> insert >> [select, count]
    return dag


def test_sqlite_create_insert_templated_select(sqlite_db: Path) -> None:
    result = _orders_dag("wh", "orders").run(logical_date="2024-07-08", params={"item": "bolt"})
    for tid in ("create", "insert", "select", "count"):
        assert result[tid].state == "success", (tid, result[tid].error)
    assert result["create"].result is None
    assert result["select"].result == [[1, "bolt", 5, "2024-07-08"], [2, "semi;colon", 7, "2000-01-01"]]
    assert result["count"].result == [1]
    # the data really is in the file at the absolute path the URI named
    with sqlite3.connect(sqlite_db) as check:
        assert check.execute("SELECT item FROM orders WHERE id = 1").fetchall() == [("bolt",)]


def test_sqlite_bad_sql_fails_naming_the_error_and_rolls_back(sqlite_db: Path) -> None:
    with sqlite3.connect(sqlite_db) as setup:
        setup.execute("CREATE TABLE t (x INTEGER)")
    with DAG("bad_sql") as dag:
        SqlTask("bad", "CREATE TABLE t2 (y INTEGER); INSERT INTO t VALUES (1); SELEC x FROM t",
                conn_id="wh")
        SqlTask("missing", "SELECT * FROM no_such_table", conn_id="wh")
    result = dag.run()
    assert result["bad"].state == "failed"
    assert "syntax error" in result["bad"].error and "SELEC" in result["bad"].error
    assert result["missing"].state == "failed"
    assert "no such table: no_such_table" in result["missing"].error
    with sqlite3.connect(sqlite_db) as check:      # one transaction: the insert and DDL were undone
        assert check.execute("SELECT count(*) FROM t").fetchone() == (0,)
        tables = {r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"t"}


def test_sqlite_relative_path_is_relative_to_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEGATO_CONN_REL", "sqlite:///rel.db")
    with DAG("rel") as dag:
        SqlTask("make", "CREATE TABLE r (x); INSERT INTO r VALUES (42); SELECT x FROM r", conn_id="rel")
    result = dag.run()
    assert result["make"].result == [[42]]
    assert (tmp_path / "rel.db").is_file()


def test_fetch_modes_and_empty_results(sqlite_db: Path) -> None:
    with DAG("fetch") as dag:
        SqlTask("none", "SELECT 1", conn_id="wh", fetch="none")
        SqlTask("one_empty", "SELECT 1 WHERE 1 = 0", conn_id="wh", fetch="one")
        SqlTask("all_empty", "SELECT 1 WHERE 1 = 0", conn_id="wh")
        SqlTask("dml_last", "CREATE TABLE z (a); INSERT INTO z VALUES (1)", conn_id="wh")
    result = dag.run()
    assert result["none"].state == "success" and result["none"].result is None
    assert result["one_empty"].result is None
    assert result["all_empty"].result == []
    assert result["dml_last"].state == "success" and result["dml_last"].result is None
    with pytest.raises(ValueError, match="fetch"), DAG("bad_fetch"):
        SqlTask("x", "SELECT 1", conn_id="wh", fetch="many")


def test_split_statements_respects_quotes_and_comments() -> None:
    sql = """
        -- a comment; not a split
        INSERT INTO t VALUES ('a;b', "c;d");  /* block; comment */
        SELECT 'it''s; fine';
        ;
        -- trailing comment only
    """
    assert split_statements(sql) == [
        "-- a comment; not a split\n        INSERT INTO t VALUES ('a;b', \"c;d\")",
        "/* block; comment */\n        SELECT 'it''s; fine'",
    ]


def test_json_safe_values() -> None:
    u = uuid.UUID(int=1)
    row = [dt.datetime(2024, 1, 2, 3, 4, 5), dt.date(2024, 1, 2), Decimal("1.50"), b"\x01\xff", u,
           dt.timedelta(minutes=1), {"k": Decimal(2)}, None, True]
    safe = json_safe(row)
    assert safe == ["2024-01-02T03:04:05", "2024-01-02", 1.5, "01ff", str(u), 60.0, {"k": 2.0}, None, True]
    json.dumps(safe)


def test_sqlalchemy_urls() -> None:
    pg = sqlalchemy_url(parse_connection("pg", "postgres://u:p%40ss@db.example:6543/app?sslmode=require"))
    assert pg.drivername in ("postgresql+psycopg", "postgresql")
    got = (pg.username, pg.password, pg.host, pg.port, pg.database)
    assert got == ("u", "p@ss", "db.example", 6543, "app")
    assert dict(pg.query) == {"sslmode": "require"}
    assert "p@ss" not in pg.render_as_string(hide_password=True)


def test_postgres_select(monkeypatch: pytest.MonkeyPatch) -> None:
    url = service_url("postgres")
    monkeypatch.setenv("LEGATO_CONN_PG", url)
    table = f"legato_orders_{uuid.uuid4().hex[:8]}"
    try:
        result = _orders_dag("pg", table).run(logical_date="2024-07-08", params={"item": "bolt"})
        for tid in ("create", "insert", "select", "count"):
            assert result[tid].state == "success", (tid, result[tid].error)
        assert result["select"].result == [[1, "bolt", 5, "2024-07-08"],
                                           [2, "semi;colon", 7, "2000-01-01"]]
        assert result["count"].result == [1]
        with DAG("pg_types") as types_dag:
            SqlTask("types", "SELECT CAST(1.25 AS numeric(5,2)), DATE '2024-01-02', "
                             "TIMESTAMP '2024-01-02 03:04:05', CAST(:who AS text)", conn_id="pg",
                    parameters={"who": "{{ ds }}"}, fetch="one")
        types = types_dag.run(logical_date="2024-03-04")
        assert types["types"].state == "success", types["types"].error
        assert types["types"].result == [1.25, "2024-01-02", "2024-01-02T03:04:05", "2024-03-04"]
    finally:
        with DAG("pg_cleanup") as cleanup:
            SqlTask("drop", f"DROP TABLE IF EXISTS {table}", conn_id="pg", fetch="none")
        cleanup.run()
