"""API token lifetime: an optional expiry and a revocation time per token.

A token with `revoked_at` set, or whose `expires_at` has passed, no longer authenticates (and so
ends the UI sessions that hold it). Existing tokens keep working: both columns start NULL.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from legato.store.schema import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", UtcDateTime, nullable=True))
        batch.add_column(sa.Column("revoked_at", UtcDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("expires_at")
