"""The Alembic migrations build exactly the schema schema.py declares, on both backends (a
store created fresh gets schema.py's tables directly; one upgraded over the years gets them
through the migrations, and the two must not drift apart on either database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from legato.store import db
from legato.store.schema import metadata
from services import scratch_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    with scratch_postgres() as url:
        yield url


def test_migrations_build_the_declared_schema(empty_url: str) -> None:
    engine = db.create(empty_url)
    try:
        db.upgrade(engine)
        assert db.stored_revision(engine) == db.HEAD_REVISION
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
        assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
