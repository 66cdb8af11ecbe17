"""A Legato connection as a SQLAlchemy URL: one translation for SqlTask and the warehouse.

`sqlite:////abs/x.db` is absolute and `sqlite:///rel.db` relative; `postgres(ql)://` uses
psycopg 3 when it is installed; any other type is passed to SQLAlchemy as its driver name,
with the connection's extras as the URL's query. SQLAlchemy is imported on use.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from ..authoring.variables import Connection

if TYPE_CHECKING:
    from sqlalchemy.engine import URL


def _sqlite_database(conn: Connection) -> str | None:
    """The database path of a sqlite connection: `sqlite:////abs/x.db` is absolute,
    `sqlite:///rel.db` relative (one `/` separates the authority from the path)."""
    if conn.host:                      # sqlite://dir/x.db: read as the relative path dir/x.db
        return f"{conn.host}/{conn.schema or ''}"
    return conn.schema


def sqlalchemy_url(conn: Connection) -> URL:
    """The SQLAlchemy URL for a Legato connection."""
    from sqlalchemy.engine import URL

    kind = conn.conn_type.lower()
    if kind == "sqlite":
        return URL.create("sqlite", database=_sqlite_database(conn))
    if kind in ("postgresql", "postgres"):
        driver = "postgresql+psycopg" if importlib.util.find_spec("psycopg") else "postgresql"
    else:
        driver = conn.conn_type
    return URL.create(
        driver, username=conn.login, password=conn.password, host=conn.host, port=conn.port,
        database=conn.schema, query=dict(conn.extra),
    )
