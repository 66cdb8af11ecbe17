"""store/dialect.py, on SQLite and PostgreSQL: insert-if-absent, the clock, savepoints, row
locks, commit order, durations and the change marker, and an unsupported database refused by
name."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from legato.store import dialect
from waiting import eventually

md = sa.MetaData()
things = sa.Table("dialect_things", md, sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("name", sa.String(50), nullable=False, unique=True),
                  sa.Column("n", sa.Integer, nullable=False))


@pytest.fixture
def engine(db: sa.Engine) -> sa.Engine:
    """The suite's store with a table of its own, empty."""
    md.create_all(db)
    with db.begin() as conn:
        conn.execute(things.delete())
    return db


def test_insert_if_absent_returns_the_new_key_then_none(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        first = dialect.insert_if_absent(conn, things, {"name": "a", "n": 1}, ["name"], things.c.id)
        again = dialect.insert_if_absent(conn, things, {"name": "a", "n": 2}, ["name"], things.c.id)
        assert isinstance(first, int) and again is None
        conn.execute(dialect.insert_ignoring(conn, things, ["name"]),
                     [{"name": "a", "n": 3}, {"name": "b", "n": 4}])     # many rows, one clash
        rows = conn.execute(sa.select(things.c.name, things.c.n).order_by(things.c.name)).all()
    assert [tuple(r) for r in rows] == [("a", 1), ("b", 4)]


def test_the_clock_is_aware_utc_and_close_to_ours(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        now = dialect.clock(conn)
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_failed_savepoint_leaves_the_transaction_usable(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(things.insert().values(name="kept", n=1))
        with pytest.raises(sa.exc.IntegrityError), dialect.savepoint(conn):
            conn.execute(things.insert().values(name="kept", n=2))       # unique violation
        conn.execute(things.insert().values(name="after", n=3))        # still usable
    with engine.connect() as conn:
        assert sorted(conn.execute(sa.select(things.c.name)).scalars()) == ["after", "kept"]


def test_try_lock_skips_rows_another_transaction_holds(engine: sa.Engine, kind: str) -> None:
    with engine.begin() as conn:
        conn.execute(things.insert().values(name="row", n=1))
    query = sa.select(things.c.id).where(things.c.name == "row")
    with engine.connect() as holder, engine.connect() as other:
        holder.begin()
        assert dialect.try_lock(holder, query) is True
        other.begin()
        # PostgreSQL: the second transaction skips the held row; SQLite serializes writers
        # with its database lock and needs no row lock
        assert dialect.try_lock(other, query) is (kind == "sqlite")
        holder.rollback()
        other.rollback()


def test_placeholders_match_the_driver(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(things.insert().values(name="p", n=7))
        mark = dialect.placeholder(conn)
        got = conn.exec_driver_sql(f"SELECT n FROM dialect_things WHERE name = {mark}", ("p",))
        assert got.scalar() == 7


def test_another_database_is_refused_by_name() -> None:
    conn = SimpleNamespace(dialect=SimpleNamespace(name="oracle"))
    with pytest.raises(NotImplementedError, match="store on oracle is not supported"):
        dialect.insert_ignoring(conn, things, ["name"])  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match="oracle"):
        dialect.clock(conn)  # type: ignore[arg-type]


def test_ids_commit_in_order_only_on_sqlite(engine: sa.Engine, kind: str) -> None:
    assert dialect.commits_in_order(engine) is (kind == "sqlite")


def test_seconds_between_is_computed_by_the_database(engine: sa.Engine) -> None:
    start = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    with engine.connect() as conn:
        took = conn.execute(sa.select(dialect.seconds_between(
            conn, sa.literal(start), sa.literal(start + timedelta(seconds=90.5))))).scalar()
        missing = conn.execute(sa.select(dialect.seconds_between(
            conn, sa.literal(start), sa.null()))).scalar()
    assert took == pytest.approx(90.5, abs=0.01) and missing is None


def test_the_change_marker_moves_on_another_connections_commit(engine: sa.Engine,
                                                               kind: str) -> None:
    with engine.connect() as watcher, engine.connect() as writer:
        before = dialect.change_marker(watcher)
        watcher.rollback()
        if kind == "sqlite":     # PostgreSQL's snapshot also moves with the cluster's other work
            assert dialect.change_marker(watcher) == before      # nothing committed meanwhile
            watcher.rollback()
        with writer.begin():
            writer.execute(things.insert().values(name="new", n=1))
        assert dialect.change_marker(watcher) != before
        watcher.rollback()


def test_a_session_ended_in_the_middle_of_an_executemany_is_a_lost_connection() -> None:
    """psycopg reports pg_terminate_backend during an executemany (its pipeline mode) as
    "cannot exit pipeline mode while busy", the AdminShutdown only in the exception's context;
    SQLAlchemy does not see a disconnect there, so the store must (else the broken connection
    is rolled back and pooled again: a traceback in the scheduler's log, found by the
    dropped-connection fault test)."""
    psycopg = pytest.importorskip("psycopg")
    try:
        try:
            raise psycopg.errors.AdminShutdown("terminating connection due to administrator "
                                               "command")
        except psycopg.Error:
            raise psycopg.OperationalError("cannot exit pipeline mode while busy")  # noqa: B904
    except psycopg.OperationalError as exc:
        in_pipeline = exc                        # the AdminShutdown is its __context__
    assert dialect.connection_lost(in_pipeline, None)
    assert dialect.connection_lost(psycopg.OperationalError("x"), SimpleNamespace(broken=True))
    assert not dialect.connection_lost(psycopg.errors.QueryCanceled("statement timeout"), None)
    assert not dialect.connection_lost(psycopg.errors.UniqueViolation("duplicate key"), None)
    assert not dialect.connection_lost(ValueError("not a database error"), None)


HOLDER = """
import sys, time
import sqlalchemy as sa
from legato.store import dialect
engine = sa.create_engine(sys.argv[1])
dialect.fence_owner_sessions(engine, 60, "test-host")   # tags this process's sessions
conn = engine.connect()
conn.begin()
conn.execute(sa.text("SELECT id FROM dialect_things WHERE name = 'held' FOR UPDATE"))
print("locked", flush=True)
time.sleep(120)                 # as a frozen owner: the transaction is never finished
"""


def test_the_sessions_of_a_dead_owners_process_can_be_ended(engine: sa.Engine,
                                                             kind: str) -> None:
    """A frozen owner's open transaction keeps its runs' rows locked where no server timeout
    reaches it; an adopting scheduler ends that process's sessions by their tag."""
    with engine.begin() as conn:
        conn.execute(things.insert().values(name="held", n=1))
    if kind != "postgresql":
        with engine.begin() as conn:
            assert dialect.end_sessions_of(conn, "test-host", 1) == 0
        return
    url = engine.url.render_as_string(hide_password=False)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        query = sa.select(things.c.id).where(things.c.name == "held")
        with engine.connect() as other:
            other.begin()
            assert dialect.try_lock(other, query) is False           # held by the child
            other.rollback()
        with engine.begin() as conn:
            assert dialect.end_sessions_of(conn, "test-host", holder.pid + 1) == 0   # not it
            assert dialect.end_sessions_of(conn, "test-host", holder.pid) == 1

        def free() -> bool:
            with engine.connect() as other:
                other.begin()
                got = dialect.try_lock(other, query)
                other.rollback()
                return got
        eventually(free, 10, what="the row lock released")
    finally:
        holder.kill()
        holder.wait(10)
