"""Server state: persisted idempotency keys (issue 4).

One row per (dag_id, Idempotency-Key); the primary key makes a second claim of the same key
fail, so two concurrent triggers with one key create one run.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from legato.store.schema import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("dag_id", sa.String(250), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("run_id", sa.String(250), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
