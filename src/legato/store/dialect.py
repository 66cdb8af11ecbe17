"""What SQLite and PostgreSQL say differently, in one place: store modules (and the few
services and event sources that write SQL of their own) ask this module and never branch on
`conn.dialect.name` themselves.

- Insert-if-absent: both say `INSERT ... ON CONFLICT (keys) DO NOTHING`, but SQLAlchemy builds
  it from each dialect's own `insert`; `RETURNING` tells whether the row went in (rowcount is
  -1 there on psycopg).
- The clock: owners on several hosts judge each other by the database's clock on PostgreSQL
  (`now()`); SQLite is one host, whose clock is the database's.
- Savepoints: a failed statement aborts a whole PostgreSQL transaction, so work that may fail
  without undoing the rest runs in a savepoint there; SQLite does not abort, and a savepoint per
  commit would cost its hot path.
- Row locks: `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer at a
  time, so its write lock already serializes what the row lock would.
- Taking the write lock up front (SQLite's `BEGIN IMMEDIATE`), the SQLite connection pragmas,
  and the placeholder of a driver-level statement.
- Whether ids commit in the order they were given (SQLite's one writer), the seconds between
  two timestamp columns computed by the database, and a cheap "has anything been committed
  since?" marker (the UI's live hub).

Only SQLite and PostgreSQL are supported stores; another dialect is refused by name.
"""

from __future__ import annotations

import os
import sqlite3
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

SUPPORTED = ("sqlite", "postgresql")


def _name(conn: sa.Connection | sa.Engine) -> str:
    name = conn.dialect.name
    if name not in SUPPORTED:
        raise NotImplementedError(f"the store on {name} is not supported (SQLite or PostgreSQL)")
    return name


def is_sqlite(conn: sa.Connection | sa.Engine) -> bool:
    return _name(conn) == "sqlite"


# -- insert if absent -------------------------------------------------------------------------

def insert_ignoring(conn: sa.Connection, table: sa.Table, keys: Sequence[str]) -> Any:
    """An INSERT into `table` that skips a row clashing with an existing one on `keys` (a
    primary key or unique constraint); add `.values(...)`, and `.returning(...)` to learn
    which rows went in."""
    if _name(conn) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return insert(table).on_conflict_do_nothing(index_elements=list(keys))


def insert_if_absent(conn: sa.Connection, table: sa.Table, values: dict[str, Any],
                     keys: Sequence[str], returning: sa.Column[Any]) -> Any | None:
    """Insert one row unless a row with the same `keys` exists: the new row's `returning`
    column, or None when another writer got there first (never an IntegrityError)."""
    row = conn.execute(insert_ignoring(conn, table, keys).values(**values)
                       .returning(returning)).first()
    return None if row is None else row[0]


# -- clock, savepoints, locks -----------------------------------------------------------------

def clock(conn: sa.Connection) -> datetime:
    """Now, by the clock every process using this database agrees on (aware, UTC)."""
    if _name(conn) == "postgresql":
        return conn.execute(sa.select(sa.func.now())).scalar_one().astimezone(UTC)
    return datetime.now(UTC)


@contextmanager
def savepoint(conn: sa.Connection) -> Iterator[None]:
    """Run the block so that its failure leaves the enclosing transaction usable: in a
    savepoint (rolled back on an exception, which propagates) on PostgreSQL; as is on SQLite,
    where a failed statement does not abort the transaction."""
    if _name(conn) == "sqlite":
        yield
        return
    with conn.begin_nested():
        yield


def skip_locked(query: sa.Select[Any]) -> sa.Select[Any]:
    """`query` taking row locks, skipping rows another transaction holds (PostgreSQL); SQLite
    compiles it without the clause (its one writer at a time needs none)."""
    return query.with_for_update(skip_locked=True)


def try_lock(conn: sa.Connection, query: sa.Select[Any]) -> bool:
    """Lock the rows `query` finds, unless another transaction holds them: False then (or when
    there are none), so the caller moves on instead of waiting. On SQLite, True at once."""
    if _name(conn) == "sqlite":
        return True
    return conn.execute(skip_locked(query)).first() is not None


def lock_database(conn: sa.Connection) -> None:
    """Take the database's write lock now, at the start of a transaction: on SQLite, whose
    pysqlite runs DDL outside any transaction unless one is open, so a second process waits
    here; PostgreSQL's DDL is transactional already."""
    if _name(conn) == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def placeholder(conn: sa.Connection) -> str:
    """The bound-parameter mark of a driver-level statement (`exec_driver_sql`)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def connection_lost(exc: BaseException, dbapi_conn: Any) -> bool:
    """Whether `exc` means the server connection is gone, where SQLAlchemy's own check misses
    it: psycopg reports a session ended by pg_terminate_backend in the middle of an
    executemany (its pipeline mode) as "cannot exit pipeline mode while busy", with the
    AdminShutdown only in the exception's context. A lost connection must be invalidated,
    not rolled back and returned to the pool (that fails again, with a traceback)."""
    if getattr(dbapi_conn, "broken", False):                # psycopg: interrupted, not closed
        return True
    seen: BaseException | None = exc
    while seen is not None:
        state = getattr(seen, "sqlstate", None) or ""
        if state.startswith(("08", "57P")):   # connection exception; admin/crash shutdown
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _mark_lost_connections(context: Any) -> None:
    """Core's statements get the same verdict as dbapi_cursor's (an engine `handle_error`)."""
    if not context.is_disconnect and connection_lost(
            context.original_exception,
            context.connection.connection.dbapi_connection if context.connection is not None
            and not context.connection.invalidated else None):
        context.is_disconnect = True


@contextmanager
def dbapi_cursor(conn: sa.Connection) -> Iterator[Any]:
    """A cursor of the DBAPI connection under `conn`'s transaction, for the few statements hot
    enough that Core's per-statement work shows (the driver's commits). A driver error comes
    out as SQLAlchemy's own (OperationalError, ...), and a connection the server dropped is
    invalidated, exactly as through Core: callers and the store-fault handling see no
    difference."""
    cursor = conn.connection.cursor()
    try:
        yield cursor
    except conn.dialect.loaded_dbapi.Error as exc:
        dbapi_conn = conn.connection.dbapi_connection
        gone = conn.dialect.is_disconnect(exc, dbapi_conn, cursor) or connection_lost(
            exc, dbapi_conn)
        if gone:
            conn.invalidate(exc)
        raise sa.exc.DBAPIError.instance(
            None, None, exc, conn.dialect.loaded_dbapi.Error, connection_invalidated=gone,
            dialect=conn.dialect) from exc
    finally:
        try:
            cursor.close()
        except conn.dialect.loaded_dbapi.Error:
            pass


# -- ordering, durations, change markers ------------------------------------------------------

def commits_in_order(conn: sa.Connection | sa.Engine) -> bool:
    """Whether ids handed out by the database always commit in the order given: SQLite's one
    writer at a time ensures it; on PostgreSQL a later id may commit first."""
    return _name(conn) == "sqlite"


def seconds_between(conn: sa.Connection, start: Any, end: Any) -> Any:
    """SQL for `end - start` in seconds (NULL if either is), computed by the database: cheaper
    than parsing two datetimes in Python for each of many rows."""
    if _name(conn) == "sqlite":
        return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0
    return sa.func.extract("epoch", end - start)


def change_marker(conn: sa.Connection) -> Any:
    """A value that changes after any commit elsewhere in the database. SQLite: `PRAGMA
    data_version`, which is per connection (hold `conn` and ask it again; its own commits do
    not count). PostgreSQL: the text of `pg_current_snapshot()`, which moves whenever a
    transaction that wrote starts or ends anywhere in the cluster."""
    if _name(conn) == "sqlite":
        return conn.exec_driver_sql("PRAGMA data_version").scalar()
    return conn.exec_driver_sql("SELECT pg_current_snapshot()::text").scalar()


# -- SQLite connections -----------------------------------------------------------------------

def configure(engine: sa.Engine) -> sa.Engine:
    """Tune a new engine: on SQLite every connection gets WAL, `synchronous=NORMAL` and a 30 s
    busy timeout (see store/db.py for why); on PostgreSQL a lost session is recognised where
    SQLAlchemy misses it (connection_lost). Any other database is left as it is (quality's
    SqlTable opens destinations of any kind through store/db.py)."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        sa.event.listen(engine, "handle_error", _mark_lost_connections)
    return engine


_IDLE_LIMITED: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def fence_owner_sessions(engine: sa.Engine, seconds: float, hostname: str) -> None:
    """On PostgreSQL, the server ends this engine's sessions that sit idle inside a
    transaction for longer than `seconds`, and each session is tagged with its process
    (`application_name`, see `process_tag`). An owner of runs sets both up with its owner
    timeout: a frozen process (SIGSTOP, a debugger) otherwise keeps its row locks, and the
    runs they guard are skipped by every scheduler that would adopt them. A process frozen in
    the middle of a pipelined statement is not idle to the server (no timeout reaches it):
    the tag lets an adopting scheduler end its sessions (`end_sessions_of`). Once per engine;
    connections already pooled are replaced. SQLite needs nothing (a frozen writer's lock is
    a file lock, and its busy timeout applies)."""
    if engine.dialect.name != "postgresql" or engine in _IDLE_LIMITED:
        return
    _IDLE_LIMITED.add(engine)
    limit_ms = max(1000, int(seconds * 1000))

    def limit(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"SET idle_in_transaction_session_timeout = {limit_ms}")
        cur.execute("SELECT set_config('application_name', %s, false)",
                    (process_tag(hostname, os.getpid()),))     # the pid at connect: forks
        cur.close()
        dbapi_conn.commit()             # a SET rolled back with its transaction would not stay

    sa.event.listen(engine, "connect", limit)
    engine.dispose()


def process_tag(hostname: str, pid: int) -> str:
    """The `application_name` of an owner process's sessions (PostgreSQL keeps 63 bytes)."""
    return f"legato:{pid}@{hostname}"[:63]


def end_sessions_of(conn: sa.Connection, hostname: str, pid: int) -> int:
    """End the sessions that process `pid` on `hostname` holds on this database (PostgreSQL;
    elsewhere nothing to do): for an owner judged dead whose process may still hold row locks
    in a transaction it will never finish. Its writes were fenced anyway. How many it ended."""
    if conn.dialect.name != "postgresql":
        return 0
    return int(conn.execute(sa.text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = :tag "
        "AND pid <> pg_backend_pid()"), {"tag": process_tag(hostname, pid)}).scalar() or 0)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    _wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _wal(cur: Any) -> None:
    """Switch to WAL. A brand-new database being created by another process at this moment
    can refuse the switch at once ("database is locked": SQLite does not wait on a lock
    upgrade that could deadlock), so it is tried again for a while."""
    deadline = time.monotonic() + 30
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
