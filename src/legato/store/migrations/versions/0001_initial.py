"""The first schema: dags, dag_runs, task_instances, task_tries, xcom.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from legato.store.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dags",
        sa.Column("dag_id", sa.String(250), primary_key=True),
        sa.Column("fileloc", sa.Text, nullable=False),
        sa.Column("spec_json", sa.Text, nullable=False),
        sa.Column("is_paused", sa.Boolean, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "dag_runs",
        sa.Column("run_id", sa.String(250), primary_key=True),
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("run_type", sa.String(20), nullable=False),
        sa.Column("logical_date", UtcDateTime, nullable=False),
        sa.Column("data_interval_start", UtcDateTime, nullable=False),
        sa.Column("data_interval_end", UtcDateTime, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("params_json", sa.Text, nullable=False),
        sa.Column("event_json", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("start_date", UtcDateTime, nullable=True),
        sa.Column("end_date", UtcDateTime, nullable=True),
    )
    op.create_index("ix_dag_runs_dag_logical", "dag_runs", ["dag_id", "logical_date"])
    op.create_index("ix_dag_runs_created", "dag_runs", ["created_at"])
    op.create_table(
        "task_instances",
        sa.Column("run_id", sa.String(250), primary_key=True),
        sa.Column("task_id", sa.String(250), primary_key=True),
        sa.Column("map_index", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("try_number", sa.Integer, nullable=False),
        sa.Column("next_try_at", UtcDateTime, nullable=True),
        sa.Column("start_date", UtcDateTime, nullable=True),
        sa.Column("end_date", UtcDateTime, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("error_type", sa.String(250), nullable=True),
    )
    op.create_table(
        "task_tries",
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
    op.create_table(
        "xcom",
        sa.Column("run_id", sa.String(250), primary_key=True),
        sa.Column("task_id", sa.String(250), primary_key=True),
        sa.Column("map_index", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value_json", sa.Text, nullable=True),
        sa.Column("path", sa.Text, nullable=True),
        sa.Column("size", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("xcom", "task_tries", "task_instances", "dag_runs", "dags"):
        op.drop_table(table)
