"""`Warehouse`: idempotent loads into DuckDB (the default, a file under $LEGATO_HOME) or any
SQLAlchemy database (PostgreSQL in production).

`Warehouse()` is `duckdb:///$LEGATO_HOME/warehouse.duckdb`; `Warehouse("duckdb:///x.db")` a
DuckDB file; `Warehouse("postgresql://...")` a SQLAlchemy URL; `Warehouse("dwh")` the connection
`dwh` (type `duckdb` -> the file in its path, anything else -> `legato.io.sql_url.sqlalchemy_url`).

`load(table, records, mode=...)` runs in ONE transaction and is safe to repeat, which is what
makes a retried or re-run task harmless:

- `"replace_partition"` deletes the rows of `partition` (`{"day": "2024-03-01"}`) and inserts
  `records` (their partition columns are filled in; a record contradicting them is refused).
- `"merge"` upserts by `keys`: rows whose key exists are updated (only when a value differs,
  so a repeat reports 0 updated), the others inserted, set-based through a staging table; a
  column some records of the batch lack is NULL in them; duplicate keys in one batch are refused.
- `"append"` inserts; with `load_id` the load also writes a mark in `legato_loads` in the same
  transaction, and a load whose `load_id` is already marked is a no-op (`skipped=True`).

The table is created when missing, from `schema` (a Contract or a JSON Schema) or from the
records, in a short transaction of its own just before the load (io/ddl.py: parallel first
loads into a new table all succeed; a load that then fails leaves the new table empty). A
record with a column the table lacks is refused (nothing is dropped silently). A load that
loses a write conflict to a concurrent one (DuckDB's optimistic concurrency; a PostgreSQL
serialization failure or deadlock) is rolled back and run again, up to CONFLICT_RETRIES times,
20 ms, 40 ms, ... apart. Those three rules are io/destination.py's SqlDestination, the one
way rows land in a SQL table (quality's SqlTable uses it too).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..retrying import Backoff
from . import sqlnames
from .backends import TYPES, DuckBackend, Session, SqlBackend
from .ddl import TableMissing
from .destination import Conflicts, Create, SqlDestination

MODES = ("append", "replace_partition", "merge")
LOADS_TABLE = "legato_loads"
MAX_PARAMS = 30_000        # PostgreSQL binds at most 65,535 values per statement
CONFLICT_RETRIES = 5
CONFLICT_BACKOFF = Backoff(0.02, math.inf, jitter=0)


@dataclass(frozen=True)
class LoadResult:
    table: str
    mode: str
    inserted: int = 0
    deleted: int = 0
    updated: int = 0
    skipped: bool = False

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def default_url() -> str:
    from ..config import legato_home

    return f"duckdb:///{legato_home() / 'warehouse.duckdb'}"


def duckdb_path(url: str) -> str:
    """`duckdb:////abs/x.db` -> `/abs/x.db`, `duckdb:///rel.db` -> `rel.db` (SQLAlchemy's
    convention), `duckdb://` or `duckdb:///:memory:` -> an in-memory database."""
    rest = url.removeprefix("duckdb://")
    return rest.removeprefix("/") or ":memory:"


def _backend(target: str) -> DuckBackend | SqlBackend:
    if target.startswith("duckdb://"):
        return DuckBackend(duckdb_path(target))
    if "://" in target:
        from ..store.db import normalize_url
        return SqlBackend(normalize_url(target))
    from ..authoring.variables import get_connection
    from .sql_url import sqlalchemy_url

    conn = get_connection(target)
    path = duckdb_file(conn)
    return DuckBackend(path) if path is not None else SqlBackend(sqlalchemy_url(conn))


def duckdb_file(conn: Any) -> str | None:
    """The DuckDB file a connection of type `duckdb` names (`duckdb:////data/wh.duckdb`; no
    path: in memory); None for any other type. SqlTask resolves its connection the same way."""
    if conn.conn_type.lower() != "duckdb":
        return None
    return conn.schema or ":memory:"


class Warehouse:
    def __init__(self, url_or_conn_id: str | None = None) -> None:
        self.target = url_or_conn_id or default_url()
        self.backend = _backend(self.target)
        self.destination = SqlDestination(self.backend, sqlnames.table)

    def __repr__(self) -> str:
        return f"<Warehouse {self.backend.describe()}>"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.backend.transaction() as session:
            yield session

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows as dicts; `:name` placeholders bound from `params` on both engines."""
        with self.transaction() as s:
            return s.rows(sql, params)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run ONE statement that returns no rows, in a transaction of its own, committed when
        it returns: DDL (`CREATE TABLE`, `CREATE OR REPLACE VIEW`), `UPDATE`, `DELETE`, `MERGE`
        (DuckDB 1.4+, PostgreSQL 15+), `INSERT ... SELECT`, a grant. `:name` placeholders are
        bound from `params` on both engines (values only: never format them into `sql`).

        Returns the number of rows the statement changed where the engine reports it (DuckDB
        and PostgreSQL do for DML), else -1 or 0. Several statements in one transaction are
        `with wh.transaction() as s: s.execute(...); s.execute(...)`, or a `SqlTask`; a
        statement that returns rows is `query()`. Unlike `load()`, nothing here is retried
        or made idempotent: write the statement so that running it twice is harmless
        (`CREATE OR REPLACE`, `MERGE`, `DELETE ... WHERE day = :d` then insert)."""
        with self.transaction() as s:
            return s.execute(sql, params)

    def load(self, table: str, records: Sequence[Mapping[str, Any]], *, mode: str = "append",
             partition: Mapping[str, Any] | None = None, keys: Sequence[str] | None = None,
             schema: Any = None, load_id: str | None = None) -> LoadResult:
        plan = _plan(table, records, mode, partition, keys, load_id)
        return self.destination.write(
            lambda: self._load_once(table, plan, mode, partition, keys, load_id),
            lambda missing: self._ddl(missing, table, plan, schema),
            Conflicts(self.backend.is_conflict, CONFLICT_RETRIES, CONFLICT_BACKOFF))

    def _load_once(self, table: str, plan: _Plan, mode: str, partition: Mapping[str, Any] | None,
                   keys: Sequence[str] | None, load_id: str | None) -> LoadResult:
        with self.transaction() as s:
            if load_id is not None and _already_loaded(s, load_id):
                return LoadResult(table, mode, skipped=True)
            cols = _columns(s, table)
            _check_columns(table, cols, plan.records)
            if mode == "replace_partition":
                result = _replace_partition(s, table, plan.records, dict(partition or {}))
            elif mode == "merge":
                result = _merge(s, table, cols, plan.records, list(keys or ()))
            else:
                result = LoadResult(table, mode, inserted=_insert(s, table, plan.records))
            if load_id is not None:
                _mark_loaded(s, load_id, table, result.inserted)
            return result

    def _ddl(self, missing: str, table: str, plan: _Plan, schema: Any) -> Create:
        """How to create `missing`: the load's table or the load marks."""
        ddl = (_marks_ddl(self.backend.dialect) if missing == LOADS_TABLE
               else _table_ddl(self.backend.dialect, table, plan.records, schema, plan.extra_columns))
        return lambda s: s.execute(ddl)


# -- validation -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Plan:
    records: list[dict[str, Any]]
    extra_columns: dict[str, Any]


def _plan(table: str, records: Sequence[Mapping[str, Any]], mode: str,
          partition: Mapping[str, Any] | None, keys: Sequence[str] | None,
          load_id: str | None) -> _Plan:
    sqlnames.table(table)
    if mode not in MODES:
        raise ValueError(f"load into {table!r}: mode must be one of {MODES}, got {mode!r}")
    if isinstance(records, Mapping) or not all(isinstance(r, Mapping) for r in records):
        raise TypeError(f"load into {table!r}: records must be a list of dicts")
    rows = [dict(r) for r in records]
    for r in rows:
        for name in r:
            sqlnames.column(name)
    if load_id is not None and mode != "append":
        raise ValueError(f"load into {table!r}: load_id is for mode='append' (the other modes "
                         f"are idempotent by themselves)")
    if mode == "replace_partition":
        return _Plan(_fill_partition(table, rows, partition), dict(partition or {}))
    if mode == "merge":
        _check_keys(table, rows, keys)
    return _Plan(rows, {})


def _fill_partition(table: str, rows: list[dict[str, Any]],
                    partition: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not partition:
        raise ValueError(f"load into {table!r}: mode='replace_partition' needs partition="
                         f"{{column: value}}")
    for name in partition:
        sqlnames.column(name)
    for i, r in enumerate(rows):
        for name, value in partition.items():
            if name in r and r[name] != value and str(r[name]) != str(value):
                raise ValueError(f"load into {table!r}: record {i} has {name}={r[name]!r} "
                                 f"outside the partition {name}={value!r}")
            r[name] = value
    return rows


def _check_keys(table: str, rows: list[dict[str, Any]], keys: Sequence[str] | None) -> None:
    if not keys or isinstance(keys, str):
        raise ValueError(f"load into {table!r}: mode='merge' needs keys=[column, ...]")
    seen: set[tuple[Any, ...]] = set()
    for i, r in enumerate(rows):
        missing = [k for k in keys if r.get(k) is None]
        if missing:
            raise ValueError(f"load into {table!r}: record {i} has no value for key {missing}")
        key = tuple(r[k] for k in keys)
        if key in seen:
            raise ValueError(f"load into {table!r}: key {dict(zip(keys, key, strict=True))} "
                             f"appears twice in one merge")
        seen.add(key)


def _check_columns(table: str, cols: list[str], rows: list[dict[str, Any]]) -> None:
    known = set(cols)
    unknown = sorted({k for r in rows for k in r if k not in known})
    if unknown:
        raise ValueError(f"load into {table!r}: the table has no column(s) {unknown} "
                         f"(it has {cols}); add them or drop them from the records")


# -- statements -------------------------------------------------------------------------------

def _columns(s: Session, table: str) -> list[str]:
    existing = s.columns(*sqlnames.table(table))
    if existing is None:
        raise TableMissing(table)
    return existing


def _table_ddl(dialect: str, table: str, rows: list[dict[str, Any]], schema: Any,
               extra: Mapping[str, Any]) -> str:
    if schema is not None:
        kinds = sqlnames.columns_from_schema(schema)
    else:
        kinds = sqlnames.columns_from_records([*rows, dict(extra)])
    if not kinds:
        raise ValueError(f"table {table!r} does not exist and there is no record or schema to "
                         f"create it from")
    types = TYPES[dialect]
    body = ", ".join(f"{sqlnames.column(c)} {types[k]}" for c, k in kinds.items())
    return f"CREATE TABLE {sqlnames.qualified(table)} ({body})"


def _insert(s: Session, table: str, rows: list[dict[str, Any]]) -> int:
    """Multi-row INSERTs of at most MAX_PARAMS bound values each (one round trip per chunk:
    DuckDB's executemany costs a statement per row)."""
    if not rows:
        return 0
    names = list(dict.fromkeys(k for r in rows for k in r))
    cols = ", ".join(sqlnames.column(n) for n in names)
    per_chunk = max(1, MAX_PARAMS // len(names))
    for start in range(0, len(rows), per_chunk):
        chunk = rows[start:start + per_chunk]
        values = ", ".join("(" + ", ".join(f":r{i}_{j}" for j in range(len(names))) + ")"
                           for i in range(len(chunk)))
        params = {f"r{i}_{j}": sqlnames.cell(r.get(n))
                  for i, r in enumerate(chunk) for j, n in enumerate(names)}
        s.execute(f"INSERT INTO {sqlnames.qualified(table)} ({cols}) VALUES {values}", params)
    return len(rows)


def _where(columns: Sequence[str], prefix: str) -> tuple[str, dict[str, str]]:
    parts = [f"{sqlnames.column(c)} = :{prefix}{i}" for i, c in enumerate(columns)]
    return " AND ".join(parts), {c: f"{prefix}{i}" for i, c in enumerate(columns)}


def _replace_partition(s: Session, table: str, rows: list[dict[str, Any]],
                       partition: dict[str, Any]) -> LoadResult:
    where, names = _where(list(partition), "w")
    deleted = s.execute(f"DELETE FROM {sqlnames.qualified(table)} WHERE {where}",
                        {names[c]: v for c, v in partition.items()})
    return LoadResult(table, "replace_partition", inserted=_insert(s, table, rows), deleted=deleted)


def _merge(s: Session, table: str, cols: list[str], rows: list[dict[str, Any]],
           keys: list[str]) -> LoadResult:
    """Set-based upsert through a staging table: UPDATE ... FROM where a value differs, then
    INSERT ... WHERE NOT EXISTS; a column some records lack is NULL in the others."""
    missing = [k for k in keys if k not in cols]
    if missing:
        raise ValueError(f"load into {table!r}: merge keys {missing} are not columns of the table")
    if not rows:
        return LoadResult(table, "merge")
    names = list(dict.fromkeys([*keys, *(k for r in rows for k in r)]))
    target, short = sqlnames.qualified(table), '"' + sqlnames.table(table)[1] + '"'
    stage = f'"legato_stage_{uuid.uuid4().hex[:12]}"'
    listed = ", ".join(sqlnames.column(n) for n in names)
    on_commit = " ON COMMIT DROP" if s.dialect == "sql" else ""
    s.execute(f"CREATE TEMP TABLE {stage}{on_commit} AS SELECT {listed} FROM {target} WHERE 1 = 0")
    _insert(s, stage.strip('"'), [{n: r.get(n) for n in names} for r in rows])
    match = " AND ".join(f"{short}.{sqlnames.column(k)} = s.{sqlnames.column(k)}" for k in keys)
    others = [n for n in names if n not in keys]
    updated = 0
    if others:
        sets = ", ".join(f"{sqlnames.column(c)} = s.{sqlnames.column(c)}" for c in others)
        differ = " OR ".join(f"{short}.{sqlnames.column(c)} IS DISTINCT FROM s.{sqlnames.column(c)}"
                             for c in others)
        updated = s.execute(f"UPDATE {target} SET {sets} FROM {stage} AS s "
                            f"WHERE {match} AND ({differ})")
    inserted = s.execute(f"INSERT INTO {target} ({listed}) SELECT {listed} FROM {stage} AS s "
                         f"WHERE NOT EXISTS (SELECT 1 FROM {target} WHERE {match})")
    s.execute(f"DROP TABLE {stage}")
    return LoadResult(table, "merge", inserted=max(0, inserted), updated=max(0, updated))


# -- load marks (append with load_id) ---------------------------------------------------------

def _marks_ddl(dialect: str) -> str:
    types = TYPES[dialect]
    return (f'CREATE TABLE "{LOADS_TABLE}" ("load_id" {types["text"]} PRIMARY KEY, '
            f'"table_name" {types["text"]} NOT NULL, "rows" BIGINT NOT NULL, '
            f'"loaded_at" {types["timestamp"]} NOT NULL)')


def _marks(s: Session) -> str:
    _columns(s, LOADS_TABLE)
    return f'"{LOADS_TABLE}"'


def _already_loaded(s: Session, load_id: str) -> bool:
    return bool(s.rows(f'SELECT 1 AS x FROM {_marks(s)} WHERE "load_id" = :id', {"id": load_id}))


def _mark_loaded(s: Session, load_id: str, table: str, rows: int) -> None:
    s.execute(f'INSERT INTO {_marks(s)} ("load_id", "table_name", "rows", "loaded_at") '
              f'VALUES (:id, :t, :n, :at)',
              {"id": load_id, "t": table, "n": rows, "at": datetime.now(UTC).replace(tzinfo=None)})
