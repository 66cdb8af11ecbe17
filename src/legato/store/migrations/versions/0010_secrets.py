"""Encrypted connections and variables.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from legato.store.schema import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secret_connections",
        sa.Column("conn_id", sa.String(250), primary_key=True),
        sa.Column("conn_type", sa.String(100), nullable=False),
        sa.Column("ciphertext", sa.Text, nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "secret_variables",
        sa.Column("name", sa.String(250), primary_key=True),
        sa.Column("ciphertext", sa.Text, nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("secret_variables")
    op.drop_table("secret_connections")
