"""The head revision, and opening a store: migrated once, a fresh database given the head schema
directly (the migrations themselves are checked on both backends in
tests/conformance/store/test_store_schema.py)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from legato.store import db
from legato.store.schema import metadata


def test_head_revision_constant_matches_alembic() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == db.HEAD_REVISION


def test_open_engine_migrates_once_and_reuses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    first = db.open_engine(url)
    assert db.open_engine(url) is first
    names = set(sa.inspect(first).get_table_names())
    assert {"dags", "dag_runs", "task_instances", "task_tries", "xcom"} <= names


def test_fresh_database_shortcut_equals_migrations(tmp_path: Path) -> None:
    engine = db.create(f"sqlite:///{tmp_path / 'f.db'}")
    assert db.create_fresh(engine) is True
    assert db.stored_revision(engine) == db.HEAD_REVISION
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert db.create_fresh(engine) is False          # never touches a database with tables
