"""`SqlTask`: run SQL against a connection in one transaction; the last statement's rows are the result.

Without `conn_id` it runs against the embedded DuckDB warehouse that `legato.io.Warehouse()` loads
by default (`$LEGATO_HOME/warehouse.duckdb`); a connection of type `duckdb`
(`LEGATO_CONN_WH=duckdb:////data/wh.duckdb`) names another DuckDB file. DuckDB is driven through
its own Python API (as `legato.io` does), with the same `:name` placeholders.

For any other connection, the URI becomes a SQLAlchemy URL: `postgresql://` / `postgres://` use
psycopg 3 when it is installed, `sqlite:////abs/path.db` is the file `/abs/path.db` and
`sqlite:///rel.db` a path relative to the working directory (as in SQLAlchemy); other types are
passed through as the SQLAlchemy driver name (`mysql+pymysql://...`).

`sql` is one string, possibly holding several statements separated by `;`, or a list of strings.
All statements run in a single transaction (for SQLite too, DDL included), so a failing statement
rolls back the ones before it. `parameters` (a mapping, `:name` placeholders) is bound to every
statement. The result is the rows of the last statement as lists, made JSON-safe (dates and
times to ISO strings, Decimal to float, bytes to hex): all rows for `fetch="all"`, the first row
(or None) for `"one"`, None for `"none"` or a statement that returns no rows.
SQLAlchemy is imported only when the task runs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..authoring.context import Context
from ..authoring.task import Task
from ..io.sql_url import sqlalchemy_url

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

FETCH_MODES = ("all", "one", "none")


def split_statements(sql: str) -> list[str]:
    """Split on `;` outside quotes and comments; statements with no code are dropped."""
    statements: list[str] = []
    buf: list[str] = []
    has_code = False
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"', "`"):
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:   # doubled quote escapes itself
                        end += 2
                        continue
                    break
                end += 1
            buf.append(sql[i:end + 1])
            has_code = True
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            buf.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end == -1 else end + 2
            buf.append(sql[i:end])
            i = end
        elif ch == ";":
            if has_code:
                statements.append("".join(buf).strip())
            buf, has_code = [], False
            i += 1
        else:
            buf.append(ch)
            has_code = has_code or not ch.isspace()
            i += 1
    if has_code:
        statements.append("".join(buf).strip())
    return statements


def json_safe(value: Any) -> Any:
    """A database value as something `json.dumps` accepts."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    return str(value)


class SqlTask(Task):
    template_fields = ("sql", "parameters")

    def __init__(
        self,
        task_id: str,
        sql: str | Sequence[str],
        *,
        conn_id: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        fetch: str = "all",
        **task_kwargs: Any,
    ) -> None:
        if fetch not in FETCH_MODES:
            raise ValueError(f"task {task_id!r}: fetch must be one of {FETCH_MODES}, got {fetch!r}")
        if not isinstance(sql, str) and not (
            isinstance(sql, Sequence) and all(isinstance(s, str) for s in sql)
        ):
            raise TypeError(f"task {task_id!r}: sql must be a string or a list of strings")
        super().__init__(task_id, **task_kwargs)
        self.sql = sql if isinstance(sql, str) else list(sql)
        self.conn_id = conn_id
        self.parameters = dict(parameters) if parameters is not None else None
        self.fetch = fetch

    def statements(self) -> list[str]:
        chunks = [self.sql] if isinstance(self.sql, str) else list(self.sql)
        return [s for chunk in chunks for s in split_statements(chunk)]

    def execute(self, ctx: Context) -> Any:
        from ..io.warehouse import default_url, duckdb_file, duckdb_path

        statements = self.statements()
        if not statements:
            raise ValueError("no SQL statement to run")
        if self.conn_id is None:
            return self._run_duckdb(duckdb_path(default_url()), statements, ctx)
        conn = ctx.conn(self.conn_id)
        path = duckdb_file(conn)
        if path is not None:
            return self._run_duckdb(path, statements, ctx)
        return self._run_sqlalchemy(sqlalchemy_url(conn), statements, ctx)

    def _log_statement(self, ctx: Context, number: int, total: int, statement: str) -> None:
        shown = " ".join(statement.split())
        ctx.log.info("statement %d/%d: %s", number, total,
                     shown if len(shown) <= 500 else shown[:500] + " ...")

    def _rows(self, ctx: Context, fetch_one: Any, fetch_all: Any) -> Any:
        """The last statement's rows, as `fetch` asks."""
        if self.fetch == "one":
            row = fetch_one()
            return None if row is None else [json_safe(v) for v in row]
        rows = [[json_safe(v) for v in row] for row in fetch_all()]
        ctx.log.info("fetched %d row(s)", len(rows))
        return rows

    def _run_duckdb(self, path: str, statements: list[str], ctx: Context) -> Any:
        from ..io.backends import DuckBackend

        ctx.log.info("connecting to duckdb:///%s", path)
        rows: Any = None
        with DuckBackend(path).transaction() as session:
            for number, statement in enumerate(statements, 1):
                self._log_statement(ctx, number, len(statements), statement)
                cur = session.cursor(statement, self.parameters)  # type: ignore[attr-defined]
                if number < len(statements):
                    continue
                names = [d[0] for d in cur.description or ()]
                if not names or (names == ["Count"] and _is_dml(statement)):
                    ctx.log.info("rows affected: %s", cur.fetchone()[0] if names else -1)
                elif self.fetch != "none":
                    rows = self._rows(ctx, cur.fetchone, cur.fetchall)
        return rows

    def _run_sqlalchemy(self, url: URL, statements: list[str], ctx: Context) -> Any:
        from sqlalchemy import create_engine, event, text
        from sqlalchemy.pool import NullPool

        try:
            engine = create_engine(url, poolclass=NullPool)
        except ImportError as exc:          # the database's driver, e.g. psycopg
            from ..extras import explain

            raise explain(exc, f"SqlTask {self.task_id!r}") from exc
        if url.get_backend_name() == "sqlite":
            # pysqlite opens transactions lazily and never around DDL; take that over so every
            # statement, CREATE included, is in the one transaction (SQLAlchemy's documented recipe).
            @event.listens_for(engine, "connect")
            def _no_implicit_tx(dbapi_conn: Any, record: Any) -> None:
                dbapi_conn.isolation_level = None

            @event.listens_for(engine, "begin")
            def _begin(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN")

        ctx.log.info("connecting to %s", url.render_as_string(hide_password=True))
        params = self.parameters or {}
        rows: Any = None
        try:
            with engine.begin() as conn:
                for number, statement in enumerate(statements, 1):
                    self._log_statement(ctx, number, len(statements), statement)
                    result = conn.execute(text(statement), params)
                    if number < len(statements):
                        continue
                    if not result.returns_rows or self.fetch == "none":
                        ctx.log.info("rows affected: %s", result.rowcount)
                        rows = None
                    else:
                        rows = self._rows(ctx, result.first, lambda r=result: r)
        finally:
            engine.dispose()
        return rows


def _is_dml(statement: str) -> bool:
    """INSERT, UPDATE or DELETE without RETURNING: DuckDB answers them with one "Count" row."""
    words = statement.lstrip("( \n\t").split(None, 1)
    head = words[0].lower() if words else ""
    return head in ("insert", "update", "delete") and " returning " not in f" {statement.lower()} "
