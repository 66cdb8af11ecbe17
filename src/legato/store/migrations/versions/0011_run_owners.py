"""Run ownership: the processes driving runs, and each running run's owner.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from legato.store.schema import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedulers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("heartbeat_at", UtcDateTime, nullable=False),
    )
    # Runs left `running` before this revision have no owner: they count as orphaned.
    with op.batch_alter_table("dag_runs") as batch:
        batch.add_column(sa.Column("owner", sa.String(32), nullable=True))
        batch.create_index("ix_dag_runs_state_owner", ["state", "owner"])


def downgrade() -> None:
    with op.batch_alter_table("dag_runs") as batch:
        batch.drop_index("ix_dag_runs_state_owner")
        batch.drop_column("owner")
    op.drop_table("schedulers")
