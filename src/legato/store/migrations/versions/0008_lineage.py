"""Datasets, catalog and lineage.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from legato.store.schema import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uri", sa.String(1000), nullable=False),
        sa.Column("dag_id", sa.String(250), nullable=True),
        sa.Column("task_id", sa.String(250), nullable=True),
        sa.Column("run_id", sa.String(250), nullable=True),
        sa.Column("map_index", sa.Integer, nullable=False),
        sa.Column("extra_json", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_dataset_events_uri_id", "dataset_events", ["uri", "id"])
    op.create_table(
        "datasets",
        sa.Column("uri", sa.String(1000), primary_key=True),
        sa.Column("owner", sa.String(250), nullable=True),
        sa.Column("domain", sa.String(250), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("schema_json", sa.Text, nullable=True),
        sa.Column("contract", sa.String(250), nullable=True),
        sa.Column("freshness_s", sa.Float, nullable=True),
        sa.Column("is_product", sa.Boolean, nullable=False),
        sa.Column("extra_json", sa.Text, nullable=False),
        sa.Column("declared_by", sa.String(250), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_datasets_domain", "datasets", ["domain"])
    op.create_table(
        "dataset_refs",
        sa.Column("dag_id", sa.String(250), primary_key=True),
        sa.Column("task_id", sa.String(250), primary_key=True),
        sa.Column("uri", sa.String(1000), primary_key=True),
        sa.Column("role", sa.String(10), primary_key=True),
    )
    op.create_index("ix_dataset_refs_uri", "dataset_refs", ["uri"])


def downgrade() -> None:
    op.drop_index("ix_dataset_refs_uri", table_name="dataset_refs")
    op.drop_table("dataset_refs")
    op.drop_index("ix_datasets_domain", table_name="datasets")
    op.drop_table("datasets")
    op.drop_index("ix_dataset_events_uri_id", table_name="dataset_events")
    op.drop_table("dataset_events")
