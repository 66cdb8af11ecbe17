"""A task callback's error per try: `task_tries.callback_error` holds what the try's
on_success / on_failure / on_retry callback raised (one line). The try's state is unchanged by
it; the column is shown with the try (`legato runs show`, the API, the UI's task page).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task_tries") as batch:
        batch.add_column(sa.Column("callback_error", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task_tries") as batch:
        batch.drop_column("callback_error")
