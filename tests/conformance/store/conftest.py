"""One conformance suite for the metadata store: every store module's contract, run against
SQLite and PostgreSQL (the machine's server, found by tests/services.py).

The store modules take a connection and promise what their docstrings say; these tests call
them the way the engine and the services do and hold both backends to the same answers. Where
the databases legitimately differ (PostgreSQL skips a row another transaction has locked;
SQLite has one writer at a time, so a second writer waits instead) the test says so and checks
each side.

Each backend's database is made and migrated once per session; every test starts from empty
tables (emptying is far cheaper than creating a PostgreSQL database per test).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from legato.store.db import open_engine
from legato.store.schema import metadata
from services import scratch_postgres


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'legato.db'}"
        return
    with scratch_postgres() as url:
        yield url


@pytest.fixture
def db(store_url: str) -> sa.Engine:
    """The backend's store, every table empty."""
    engine = open_engine(store_url)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    return engine


@pytest.fixture
def kind(db: sa.Engine) -> str:
    """"sqlite" or "postgresql": which backend this test runs on."""
    return db.dialect.name
