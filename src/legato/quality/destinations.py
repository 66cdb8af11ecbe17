"""Destinations: where valid records land, and where replayed dead letters are delivered.

The seam is one method, `deliver(items)`, with `items` a list of `(key, record)`; it must be
idempotent per key — delivering the same key twice lands the record once. That is what makes
replay exactly-once: replay marks a letter `replaying`, delivers, then marks it `replayed`,
and a replay interrupted anywhere in between simply delivers again.

`SqlTable` gets idempotence from the database: the rows and a mark per key (table
`legato_delivered`, key primary key) are inserted in ONE transaction in the destination
database, so either both are there or neither is; a key already marked is skipped, and two
concurrent replays of one key cannot both commit (the second violates the primary key and
retries, then finds the mark). A missing table (the destination's, or the marks) is created
in a short transaction of its own first, so parallel first writes all land. Transactions,
table creation and the conflict retries are io/destination.py's SqlDestination, the same
writer `legato.io.Warehouse` loads through.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from ..io.ddl import TableMissing
from ..io.destination import Conflicts, Create, SqlDestination
from .registry import caller_file, register

Item = tuple[str, dict[str, Any]]
MARKS_TABLE = "legato_delivered"
_engines: dict[str, Any] = {}
_lock = threading.Lock()


class Destination(Protocol):
    name: str

    def deliver(self, items: Sequence[Item]) -> int:
        """Land each record once per key; return how many landed now (not before)."""
        ...


def _engine(url: str) -> Any:
    from ..store.db import create

    with _lock:
        if url not in _engines:
            _engines[url] = create(url)
        return _engines[url]


def _key_taken(exc: BaseException) -> bool:
    """A mark's primary key taken by a concurrent delivery of the same key."""
    import sqlalchemy as sa

    return isinstance(exc, sa.exc.IntegrityError)


DELIVERY_CONFLICTS = Conflicts(_key_taken, retries=2)       # then the mark is found


def _column_type(value: Any) -> Any:
    import sqlalchemy as sa

    if isinstance(value, bool):
        return sa.Boolean
    if isinstance(value, int):
        return sa.BigInteger
    if isinstance(value, float):
        return sa.Float
    return sa.Text


def _cell(value: Any) -> Any:
    return json.dumps(value, default=str) if isinstance(value, (dict, list, tuple)) else value


class SqlTable:
    """Rows of a SQL table (any SQLAlchemy URL): one column per top-level field, nested values
    as JSON text. The table is created from the first record if it does not exist."""

    def __init__(self, url: str, table: str, *, name: str | None = None,
                 columns: Sequence[str] | None = None) -> None:
        self.url = url
        self.table = table
        self.name = name or table
        self.columns = tuple(columns) if columns else None
        self.origin = caller_file()
        register("destination", self.name, self, self.origin)

    def _destination(self) -> SqlDestination:
        from ..io.backends import SqlBackend

        return SqlDestination(SqlBackend(self.url, engine=_engine(self.url)),
                              lambda table: (None, table))

    def _table(self, conn: Any) -> Any:
        """The destination table, reflected; TableMissing if it does not exist yet."""
        import sqlalchemy as sa

        if not sa.inspect(conn).has_table(self.table):
            raise TableMissing(self.table)
        return sa.Table(self.table, sa.MetaData(), autoload_with=conn)

    def _ddl(self, missing: str, sample: dict[str, Any]) -> Create:
        """How to create `missing`: the marks, or the table with a column per field of
        `sample` (or per `columns`)."""
        import sqlalchemy as sa

        if missing == MARKS_TABLE:
            table = _marks_table(sa.MetaData())
        else:
            names = self.columns or tuple(sample)
            table = sa.Table(self.table, sa.MetaData(),
                             *[sa.Column(n, _column_type(sample.get(n))) for n in names])
        return lambda session: table.create(session.conn)          # type: ignore[attr-defined]

    def _rows(self, table: Any, records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        names = [c.name for c in table.columns]
        return [{n: _cell(r.get(n)) for n in names} for r in records]

    def write(self, records: Sequence[dict[str, Any]]) -> int:
        """Insert `records` in one transaction (the task's normal load; not deduplicated)."""
        if not records:
            return 0
        dest = self._destination()

        def insert() -> int:
            with dest.transaction() as s:
                conn = s.conn                                       # type: ignore[attr-defined]
                table = self._table(conn)
                conn.execute(table.insert(), self._rows(table, records))
            return len(records)

        return dest.write(insert, lambda missing: self._ddl(missing, records[0]))

    def deliver(self, items: Sequence[Item]) -> int:
        if not items:
            return 0
        return self._destination().write(lambda: self._deliver_once(items),
                                         lambda missing: self._ddl(missing, items[0][1]),
                                         DELIVERY_CONFLICTS)

    def _deliver_once(self, items: Sequence[Item]) -> int:
        import sqlalchemy as sa

        with self._destination().transaction() as s:
            conn = s.conn                                           # type: ignore[attr-defined]
            if not sa.inspect(conn).has_table(MARKS_TABLE):
                raise TableMissing(MARKS_TABLE)
            marks = _marks_table(sa.MetaData())
            keys = [k for k, _ in items]
            done = {k for (k,) in conn.execute(sa.select(marks.c.key).where(marks.c.key.in_(keys)))}
            fresh = [(k, r) for k, r in items if k not in done]
            if not fresh:
                return 0
            table = self._table(conn)
            conn.execute(table.insert(), self._rows(table, [r for _, r in fresh]))
            now = datetime.now(UTC).replace(tzinfo=None)
            conn.execute(marks.insert(), [{"key": k, "destination": self.name, "at": now}
                                          for k, _ in fresh])
        return len(fresh)

    def __repr__(self) -> str:
        return f"<SqlTable {self.name!r} {self.table}>"


def _marks_table(md: Any) -> Any:
    import sqlalchemy as sa

    return sa.Table(MARKS_TABLE, md,
                    sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("destination", sa.String(250), nullable=False),
                    sa.Column("at", sa.DateTime, nullable=False))


class CallableDestination:
    """A destination you write: `fn(items)` gets `(key, record)` pairs and must land each key
    at most once (upsert on the key, or check it first); it returns how many landed."""

    def __init__(self, fn: Callable[[Sequence[Item]], int | None], name: str) -> None:
        self.fn = fn
        self.name = name
        self.origin = caller_file()
        register("destination", name, self, self.origin)

    def deliver(self, items: Sequence[Item]) -> int:
        landed = self.fn(items)
        return len(items) if landed is None else int(landed)


def destination(name: str) -> Callable[[Callable[[Sequence[Item]], int | None]],
                                       CallableDestination]:
    """Decorator form of CallableDestination: `@destination("erp")` over `def f(items): ...`."""
    def wrap(fn: Callable[[Sequence[Item]], int | None]) -> CallableDestination:
        dest = CallableDestination(fn, name)
        dest.origin = getattr(getattr(fn, "__code__", None), "co_filename", dest.origin)
        return dest
    return wrap
