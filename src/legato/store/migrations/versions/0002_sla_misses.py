"""SLA misses: one row per run that did not finish within its DAG's sla.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from legato.store.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sla_misses",
        sa.Column("run_id", sa.String(250), primary_key=True),
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("deadline", UtcDateTime, nullable=False),
        sa.Column("detected_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sla_misses")
