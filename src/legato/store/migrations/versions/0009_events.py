"""Event triggers: received events and their runs, the embedded queue, per-DAG cursors.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from legato.store.schema import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("run_id", sa.String(250), nullable=True),
        sa.Column("consumed_at", UtcDateTime, nullable=True),
        sa.UniqueConstraint("dag_id", "source", "key_hash", name="uq_received_events_key"),
    )
    op.create_index("ix_received_events_pending", "received_events", ["run_id", "id"])
    op.create_index("ix_received_events_received", "received_events", ["received_at"])
    op.create_table(
        "queue_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(250), nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("published_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_queue_messages_topic_id", "queue_messages", ["topic", "id"])
    op.create_table(
        "event_cursors",
        sa.Column("dag_id", sa.String(250), primary_key=True),
        sa.Column("name", sa.String(250), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("event_cursors")
    op.drop_index("ix_queue_messages_topic_id", table_name="queue_messages")
    op.drop_table("queue_messages")
    op.drop_index("ix_received_events_received", table_name="received_events")
    op.drop_index("ix_received_events_pending", table_name="received_events")
    op.drop_table("received_events")
