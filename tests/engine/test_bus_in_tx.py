"""The bus's in-transaction subscribers: a subscriber's own failure is logged and the engine's
state change still commits; a failure of the connection itself is the commit's failure (it
propagates, so the caller's fault handling retries the whole commit on a new connection,
instead of committing on a dead one: found by the dropped-connection fault test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from legato.engine.bus import Bus
from legato.store.db import create


class Happened:
    pass


def _engine(tmp_path: Path) -> sa.Engine:
    engine = create(f"sqlite:///{tmp_path / 'bus.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    return engine


def test_a_failing_subscriber_is_logged_and_the_change_commits(tmp_path: Path) -> None:
    engine, bus = _engine(tmp_path), Bus()

    def broken(conn: Any, events: list[Any]) -> None:
        raise ValueError("a subscriber's bug")

    bus.subscribe_in_tx(Happened, broken)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        bus.publish_in_tx(conn, [Happened()])
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar() == 1


def test_a_lost_connection_in_a_subscriber_fails_the_commit(tmp_path: Path) -> None:
    engine, bus = _engine(tmp_path), Bus()

    def connection_lost(conn: Any, events: list[Any]) -> None:
        conn.invalidate()                       # what SQLAlchemy does on a disconnect
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"),
                                      connection_invalidated=True)

    bus.subscribe_in_tx(Happened, connection_lost)
    with pytest.raises(sa.exc.OperationalError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        bus.publish_in_tx(conn, [Happened()])
