"""Incidents, their event history, remote references per sink, and the delivery outbox (issue 5).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from legato.store.schema import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(32), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("open_key", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("task_id", sa.String(250), nullable=True),
        sa.Column("map_index", sa.Integer, nullable=False),
        sa.Column("error_type", sa.String(250), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("run_id", sa.String(250), nullable=True),
        sa.Column("logical_date", UtcDateTime, nullable=True),
        sa.Column("try_number", sa.Integer, nullable=False),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("occurrences", sa.Integer, nullable=False),
        sa.Column("sinks_json", sa.Text, nullable=False),
        sa.Column("opened_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("resolved_at", UtcDateTime, nullable=True),
        sa.UniqueConstraint("open_key", name="uq_incidents_open_key"),
    )
    op.create_index("ix_incidents_dag_state", "incidents", ["dag_id", "state"])
    op.create_index("ix_incidents_opened", "incidents", ["opened_at"])
    op.create_table(
        "incident_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("event", sa.String(30), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=True),
        sa.Column("try_number", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_incident_events_incident", "incident_events", ["incident_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("sink_key", sa.String(64), nullable=False),
        sa.Column("sink_json", sa.Text, nullable=False),
        sa.Column("event", sa.String(30), nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("claimed_by", sa.String(32), nullable=True),
        sa.Column("claimed_until", UtcDateTime, nullable=True),
        sa.Column("delivered_at", UtcDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_outbox_state_id", "outbox", ["state", "id"])
    op.create_table(
        "incident_refs",
        sa.Column("incident_id", sa.Integer, primary_key=True),
        sa.Column("sink_key", sa.String(64), primary_key=True),
        sa.Column("ref_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("incident_refs")
    op.drop_index("ix_outbox_state_id", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_incident_events_incident", table_name="incident_events")
    op.drop_table("incident_events")
    op.drop_index("ix_incidents_opened", table_name="incidents")
    op.drop_index("ix_incidents_dag_state", table_name="incidents")
    op.drop_table("incidents")
