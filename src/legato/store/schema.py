"""The metadata tables, in one place (SQLAlchemy Core).

Times are stored as timezone-aware UTC (naive UTC text on SQLite, TIMESTAMPTZ on PostgreSQL).
Column and table names are a stored format: add columns, never rename them; every change
comes with an Alembic migration in migrations/versions/.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the backend keeps."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; attach a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


metadata = sa.MetaData()

dags = sa.Table(
    "dags", metadata,
    sa.Column("dag_id", sa.String(250), primary_key=True),
    sa.Column("fileloc", sa.Text, nullable=False),
    sa.Column("spec_json", sa.Text, nullable=False),
    sa.Column("is_paused", sa.Boolean, nullable=False, default=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

dag_runs = sa.Table(
    "dag_runs", metadata,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("dag_id", sa.String(250), nullable=False),
    sa.Column("run_type", sa.String(20), nullable=False),
    sa.Column("logical_date", UtcDateTime, nullable=False),
    sa.Column("data_interval_start", UtcDateTime, nullable=False),
    sa.Column("data_interval_end", UtcDateTime, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("params_json", sa.Text, nullable=False, default="{}"),
    sa.Column("event_json", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("start_date", UtcDateTime, nullable=True),
    sa.Column("end_date", UtcDateTime, nullable=True),
    sa.Index("ix_dag_runs_dag_logical", "dag_id", "logical_date"),
    sa.Index("ix_dag_runs_created", "created_at"),
)

task_instances = sa.Table(
    "task_instances", metadata,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("task_id", sa.String(250), primary_key=True),
    sa.Column("map_index", sa.Integer, primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("try_number", sa.Integer, nullable=False, default=0),
    sa.Column("next_try_at", UtcDateTime, nullable=True),
    sa.Column("start_date", UtcDateTime, nullable=True),
    sa.Column("end_date", UtcDateTime, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("error_type", sa.String(250), nullable=True),
)

task_tries = sa.Table(
    "task_tries", metadata,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("task_id", sa.String(250), primary_key=True),
    sa.Column("map_index", sa.Integer, primary_key=True),
    sa.Column("try_number", sa.Integer, primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("start_date", UtcDateTime, nullable=True),
    sa.Column("end_date", UtcDateTime, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("error_type", sa.String(250), nullable=True),
    sa.Column("log_path", sa.Text, nullable=True),
)

xcom = sa.Table(
    "xcom", metadata,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("task_id", sa.String(250), primary_key=True),
    sa.Column("map_index", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value_json", sa.Text, nullable=True),   # inline JSON, below the size threshold
    sa.Column("path", sa.Text, nullable=True),         # relative to $LEGATO_HOME/results
    sa.Column("size", sa.Integer, nullable=False),
)

sla_misses = sa.Table(
    "sla_misses", metadata,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("dag_id", sa.String(250), nullable=False),
    sa.Column("deadline", UtcDateTime, nullable=False),
    sa.Column("detected_at", UtcDateTime, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(250), nullable=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False),   # sha256 hex; the token is never kept
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(300), nullable=False),       # "name (role)" of the API token
    sa.Column("action", sa.String(20), nullable=False),       # trigger | pause | unpause | replay
    sa.Column("target", sa.String(250), nullable=False),      # dag id or run id
    sa.Column("detail_json", sa.Text, nullable=False, default="{}"),
    sa.Index("ix_audit_log_at", "at"),
)
