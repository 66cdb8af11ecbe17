"""store/secrets.py on SQLite and PostgreSQL: `put` of a name nobody stored yet, from several
writers at once (two `legato secrets set` of one connection), never fails on the primary key:
one creates the row, the others replace its value."""

from __future__ import annotations

from datetime import UTC, datetime

from concurrency_support import all_at_once
from legato.config import load_settings
from legato.store import secrets as store
from legato.store.db import open_engine

WRITERS = 8


def test_parallel_first_puts_of_one_name_all_succeed(backend: str) -> None:
    engine = open_engine(load_settings().database_url)
    created: list[bool] = []

    def put(i: int) -> None:
        with engine.begin() as conn:
            created.append(store.put(conn, "variable", "shared", f"token-{i}", "k1",
                                     datetime.now(UTC)))

    assert all_at_once(WRITERS, put) == []
    assert sorted(created) == [False] * (WRITERS - 1) + [True]
    with engine.connect() as conn:
        row = store.get(conn, "variable", "shared")
    assert row is not None and row.ciphertext in {f"token-{i}" for i in range(WRITERS)}


def test_put_creates_then_replaces(backend: str) -> None:
    engine = open_engine(load_settings().database_url)
    with engine.begin() as conn:
        assert store.put(conn, "connection", "db", "c1", "k1", datetime.now(UTC), "postgres")
        assert not store.put(conn, "connection", "db", "c2", "k2", datetime.now(UTC), "postgres")
        row = store.get(conn, "connection", "db")
    assert row is not None and (row.ciphertext, row.key_id, row.conn_type) == ("c2", "k2", "postgres")
