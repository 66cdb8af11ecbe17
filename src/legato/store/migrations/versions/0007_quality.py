"""Data quality: dead letters, reference profiles, drift reports (issue 6).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from legato.store.schema import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("dag_id", sa.String(250), nullable=True),
        sa.Column("task_id", sa.String(250), nullable=True),
        sa.Column("run_id", sa.String(250), nullable=True),
        sa.Column("map_index", sa.Integer, nullable=False),
        sa.Column("try_number", sa.Integer, nullable=False),
        sa.Column("call_seq", sa.Integer, nullable=False),
        sa.Column("record_index", sa.Integer, nullable=False),
        sa.Column("fileloc", sa.Text, nullable=True),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("contract", sa.String(250), nullable=False),
        sa.Column("destination", sa.String(250), nullable=True),
        sa.Column("record_json", sa.Text, nullable=False),
        sa.Column("errors_json", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("replayed_at", UtcDateTime, nullable=True),
        sa.UniqueConstraint("key", name="uq_dead_letters_key"),
    )
    op.create_index("ix_dead_letters_dag_status", "dead_letters", ["dag_id", "status"])
    op.create_index("ix_dead_letters_status", "dead_letters", ["status"])
    op.create_table(
        "quality_references",
        sa.Column("dataset", sa.String(250), primary_key=True),
        sa.Column("profile_json", sa.Text, nullable=False),
        sa.Column("pinned", sa.Boolean, nullable=False),
        sa.Column("run_id", sa.String(250), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "quality_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dataset", sa.String(250), nullable=False),
        sa.Column("dag_id", sa.String(250), nullable=True),
        sa.Column("task_id", sa.String(250), nullable=True),
        sa.Column("run_id", sa.String(250), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("report_json", sa.Text, nullable=False),
        sa.Column("quarantine_path", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_quality_reports_dataset", "quality_reports", ["dataset", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_quality_reports_dataset", table_name="quality_reports")
    op.drop_table("quality_reports")
    op.drop_table("quality_references")
    op.drop_index("ix_dead_letters_status", table_name="dead_letters")
    op.drop_index("ix_dead_letters_dag_status", table_name="dead_letters")
    op.drop_table("dead_letters")
