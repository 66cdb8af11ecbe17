"""`SqlTable`: parallel first writes and deliveries into a table that does not exist yet all
land (issue 10 item 27), on SQLite and on PostgreSQL. Before, the table (and the delivery
marks) were created inside each writer's transaction and every loser failed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from concurrency_support import all_at_once
from legato.quality import SqlTable, destinations
from legato.store.db import normalize_url

ENGINES = ["sqlite", "postgresql"]          # PostgreSQL: a scratch database (conftest.py)
WRITERS = 8


@pytest.fixture(params=ENGINES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dest.db'}"
    else:
        yield request.getfixturevalue("scratch_postgres_url")
    for engine in destinations._engines.values():
        engine.dispose()
    destinations._engines.clear()


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar() or 0)
    finally:
        engine.dispose()


def test_parallel_first_writes_all_land(url: str) -> None:
    table = SqlTable(url, "orders", name="orders_writes")
    rows = [[{"id": i, "total": 1.5}, {"id": i + 100, "total": 2.0}] for i in range(WRITERS)]
    errors = all_at_once(WRITERS, lambda i: table.write(rows[i]))
    assert errors == []
    assert _count(url, "orders") == WRITERS * 2


def test_parallel_first_deliveries_all_land_once(url: str) -> None:
    table = SqlTable(url, "orders", name="orders_replays")
    errors = all_at_once(WRITERS, lambda i: table.deliver([(f"k{i}", {"id": i, "total": 1.5})]))
    assert errors == []
    assert _count(url, "orders") == WRITERS
    assert _count(url, destinations.MARKS_TABLE) == WRITERS
    assert table.deliver([("k0", {"id": 0, "total": 1.5})]) == 0       # still once per key
