"""A cheap store-wide "has anything been committed since?" for the UI's live hub.

SQLite: `PRAGMA data_version` changes when another connection commits; it is per connection,
so one connection is held (and used from the hub's single thread only). PostgreSQL: the text
of `pg_current_snapshot()` (xmin:xmax:in-progress ids) moves whenever a transaction that wrote
starts or ends anywhere in the cluster, so an unchanged snapshot means nothing was committed.
Both are store/dialect.py's change_marker. None (a dropped connection): every topic is then
recomputed on that tick.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..store import dialect
from ..store.db import open_engine


class StoreVersion:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._conn: sa.Connection | None = None

    def current(self) -> Any:
        """An opaque value that changes after any commit; None when it cannot be known."""
        try:
            return self._read()
        except sa.exc.DBAPIError:
            self.close()                    # a dropped connection: the next tick opens another
            return None

    def _read(self) -> Any:
        if self._conn is None:
            self._conn = open_engine(self.database_url).connect()
        conn = self._conn
        try:
            return dialect.change_marker(conn)
        finally:
            conn.rollback()                 # never hold a snapshot open between ticks

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
