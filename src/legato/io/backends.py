"""The two warehouse engines behind one small session: DuckDB (its own Python API) and any
SQLAlchemy database (Core, `text()` with bound parameters; PostgreSQL in production).

A session is one transaction: `with backend.transaction() as s:` commits when the block ends
and rolls back on any exception, so a load's delete, inserts and marks land together or not at
all. (A missing table is created in a transaction of its own first: see io/ddl.py.)
Statements are written with `:name` placeholders; DuckDB's session rewrites them to `$name`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from ..extras import explain, require
from ..retrying import Backoff

TYPES = {
    "duckdb": {"boolean": "BOOLEAN", "integer": "BIGINT", "double": "DOUBLE", "numeric": "DECIMAL(38,10)",
               "timestamp": "TIMESTAMP", "date": "DATE", "text": "VARCHAR"},
    "sql": {"boolean": "BOOLEAN", "integer": "BIGINT", "double": "DOUBLE PRECISION",
            "numeric": "NUMERIC", "timestamp": "TIMESTAMP", "date": "DATE", "text": "TEXT"},
}
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
LOCK_WAIT_S = 30.0           # how long a DuckDB open waits for another process's lock on the file
NEW_FILE_WAIT_S = 5.0        # ... and for a new file's header, written by the process creating it
LOCK_BACKOFF = Backoff(0.005, 0.2, jitter=0)     # 5 ms doubling to 200 ms between tries
_PG_CONFLICTS = ("40001", "40P01")    # serialization failure, deadlock: the loser may run again


class Session(Protocol):
    dialect: str

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int: ...

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def columns(self, schema: str | None, table: str) -> list[str] | None: ...


def duckdb_placeholders(sql: str) -> str:
    """`:name` -> `$name` outside single-quoted literals (`::` casts are left alone)."""
    parts = sql.split("'")
    return "'".join(_NAMED.sub(r"$\1", p) if i % 2 == 0 else p for i, p in enumerate(parts))


class DuckSession:
    dialect = "duckdb"

    def __init__(self, con: Any) -> None:
        self.con = con

    def cursor(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run one statement and return DuckDB's cursor. Only the parameters the statement
        names are bound (DuckDB refuses extra ones; SqlTask binds one mapping to every
        statement, as SQLAlchemy allows)."""
        used = {n for i, part in enumerate(sql.split("'")) if i % 2 == 0
                for n in _NAMED.findall(part)}
        return self.con.execute(duckdb_placeholders(sql),
                                {k: v for k, v in (params or {}).items() if k in used})

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        cur = self.con.execute(duckdb_placeholders(sql), dict(params or {}))
        if cur.description and [d[0] for d in cur.description] == ["Count"]:
            row = cur.fetchone()
            return int(row[0]) if row and row[0] is not None else 0
        return -1

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.con.executemany(duckdb_placeholders(sql), [dict(r) for r in rows])

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(duckdb_placeholders(sql), dict(params or {}))
        if cur.description is None:
            return []
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def columns(self, schema: str | None, table: str) -> list[str] | None:
        found = self.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = "
            "current_database() AND table_schema = :s AND table_name = :t ORDER BY ordinal_position",
            {"s": schema or "main", "t": table})
        return [r["column_name"] for r in found] or None


class SqlSession:
    dialect = "sql"

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        from sqlalchemy import text

        return int(self.conn.execute(text(sql), dict(params or {})).rowcount)

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        from sqlalchemy import text

        if rows:
            self.conn.execute(text(sql), [dict(r) for r in rows])

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        from sqlalchemy import text

        result = self.conn.execute(text(sql), dict(params or {}))
        return [dict(r._mapping) for r in result] if result.returns_rows else []

    def columns(self, schema: str | None, table: str) -> list[str] | None:
        import sqlalchemy as sa

        inspector = sa.inspect(self.conn)
        if not inspector.has_table(table, schema=schema):
            return None
        return [c["name"] for c in inspector.get_columns(table, schema=schema)]


class DuckBackend:
    """A DuckDB file (or `:memory:`), opened per transaction and closed after it, so another
    process can open the file between loads. DuckDB lets one process at a time open a file for
    writing: an open that finds another process's lock waits for it (up to LOCK_WAIT_S), so
    loads from several worker processes take turns instead of failing."""

    dialect = "duckdb"

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    def _connect(self) -> Any:
        duckdb = require("duckdb")

        began = time.monotonic()
        waits = 0
        while True:
            try:
                return duckdb.connect(self.path)
            except duckdb.IOException as exc:
                waits += 1
                pause = LOCK_BACKOFF.delay(waits)
                if time.monotonic() + pause > began + self._patience(str(exc)):
                    raise
            time.sleep(pause)

    @staticmethod
    def _patience(error: str) -> float:
        """How long an open that failed with `error` is tried again: another process's lock,
        up to LOCK_WAIT_S; a file "not a valid DuckDB database" briefly (NEW_FILE_WAIT_S),
        because a process creating the file this instant has not written its header yet
        (parallel first loads); any other error not at all."""
        error = error.lower()
        if "lock" in error:
            return LOCK_WAIT_S
        if "not a valid duckdb database" in error:
            return NEW_FILE_WAIT_S
        return 0.0

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        con = self._connect()
        try:
            con.begin()
            try:
                yield DuckSession(con)
            except BaseException:
                con.rollback()
                raise
            con.commit()
        finally:
            con.close()

    @staticmethod
    def is_conflict(exc: BaseException) -> bool:
        """A concurrent transaction won (DuckDB's optimistic concurrency): run it again."""
        duckdb = require("duckdb")

        return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()

    def describe(self) -> str:
        return f"duckdb:///{self.path}"


class SqlBackend:
    """Any SQLAlchemy URL; one engine per Warehouse (or the `engine` given: SqlTable shares
    one per URL in the process)."""

    dialect = "sql"

    def __init__(self, url: Any, engine: Any = None) -> None:
        import sqlalchemy as sa

        if engine is not None:
            self.engine = engine
            return
        try:
            self.engine = sa.create_engine(url)
        except ImportError as exc:         # the database's driver, e.g. psycopg
            raise explain(exc, "a PostgreSQL warehouse") from exc

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.engine.begin() as conn:
            yield SqlSession(conn)

    @staticmethod
    def is_conflict(exc: BaseException) -> bool:
        """A serialization failure or a deadlock: the database rolled us back; run it again."""
        orig = getattr(exc, "orig", None)
        return getattr(orig, "sqlstate", None) in _PG_CONFLICTS

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)
