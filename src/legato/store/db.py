"""Opening the metadata database: engine, SQLite pragmas, and migrations on first use.

SQLite runs in WAL mode with `synchronous=NORMAL` (set by store/dialect.py): readers never
block the writer and a commit costs microseconds, while a crash still loses nothing that was
committed before the last checkpoint of the OS (WAL + NORMAL is durable against process
death, which is the failure we design for). Migrations run only when the stored revision is not the head, so a
normal start does one cheap query and never imports Alembic; a new, empty database gets
the head schema directly.
"""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

from . import dialect

HEAD_REVISION = "0014"
_MIGRATIONS = Path(__file__).parent / "migrations"
_engines: dict[str, sa.Engine] = {}
_lock = threading.Lock()


def normalize_url(url: str) -> str:
    """`postgresql://` means psycopg 3 (our driver) unless a driver is named explicitly."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def create(url: str) -> sa.Engine:
    """A new engine for `url`, with SQLite tuned as above (no migration)."""
    url = normalize_url(url)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql+psycopg:"):
        _needs_psycopg()
    # pre-ping: a connection the server dropped (restart, pg_terminate_backend, idle timeout)
    # is replaced when it is checked out, instead of failing the next statement
    return dialect.configure(sa.create_engine(url, pool_pre_ping=not url.startswith("sqlite")))


def _needs_psycopg() -> None:
    """psycopg is the optional extra `postgres`: say so, not just "No module named 'psycopg'"
    (legato.extras is standard library only, imported only on this failure)."""
    import importlib.util

    if importlib.util.find_spec("psycopg") is None:
        from ..extras import explain

        raise explain(ModuleNotFoundError("No module named 'psycopg'", name="psycopg"),
                      "a PostgreSQL database")


def stored_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        except sa.exc.DBAPIError:
            return None


def upgrade(engine: sa.Engine) -> None:
    """Bring the schema to the head revision with Alembic."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def create_fresh(engine: sa.Engine) -> bool:
    """On an empty database, create the head schema directly and stamp it (Alembic's own
    advice for new databases); return False if the database already has tables."""
    from .schema import metadata

    with engine.begin() as conn:
        dialect.lock_database(conn)         # a second process waits here, then sees every
                                            # table or none
        if sa.inspect(conn).get_table_names():
            return False
        metadata.create_all(conn)
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                             "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
        conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                     {"v": HEAD_REVISION})
    return True


def open_engine(url: str) -> sa.Engine:
    """The process-wide engine for `url`, migrated to the head revision on first open."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create(url)
            if stored_revision(engine) != HEAD_REVISION and not _create_fresh_or_lose(engine):
                upgrade(engine)
            _engines[url] = engine
        return engine


def _create_fresh_or_lose(engine: sa.Engine) -> bool:
    """`create_fresh`, when another process may be creating the same new database at the same
    moment (a scheduler starting while `legato dags trigger` runs). On SQLite the write lock
    serializes them; on PostgreSQL DDL is transactional, so the loser's CREATE fails once the
    winner commits, and then the schema it wanted is there."""
    try:
        return create_fresh(engine)
    except sa.exc.DBAPIError:
        if stored_revision(engine) == HEAD_REVISION:
            return True
        raise


def dispose_all() -> None:
    """Close every pooled connection (tests switch $LEGATO_HOME between cases)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
