"""Operating runs in place: requests to a run's owner (clear, mark, cancel), a note per run, a
DAG callback's error per run; and try logs kept in the try's row when short (no file per try),
with why a log is missing when it could not be written.

A request is applied by the process that owns the run, under the same fence as its other
writes (or by the requester when nobody drives the run); `applied_at` and `outcome_json`
record when and with what result.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from legato.store.schema import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dag_runs") as batch:
        batch.add_column(sa.Column("note", sa.Text, nullable=True))
        batch.add_column(sa.Column("callback_error", sa.Text, nullable=True))
    with op.batch_alter_table("task_tries") as batch:
        batch.add_column(sa.Column("log_error", sa.Text, nullable=True))
        batch.add_column(sa.Column("log_text", sa.Text, nullable=True))
    op.create_table(
        "run_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("requested_by", sa.String(250), nullable=False),
        sa.Column("requested_at", UtcDateTime, nullable=False),
        sa.Column("applied_at", UtcDateTime, nullable=True),
        sa.Column("outcome_json", sa.Text, nullable=True),
    )
    op.create_index("ix_run_requests_pending", "run_requests", ["applied_at", "run_id"])


def downgrade() -> None:
    op.drop_index("ix_run_requests_pending", "run_requests")
    op.drop_table("run_requests")
    with op.batch_alter_table("task_tries") as batch:
        batch.drop_column("log_text")
        batch.drop_column("log_error")
    with op.batch_alter_table("dag_runs") as batch:
        batch.drop_column("callback_error")
        batch.drop_column("note")
