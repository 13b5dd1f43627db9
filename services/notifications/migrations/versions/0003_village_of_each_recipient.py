"""village of each recipient

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:19:08.925431
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Filled from the next catalogue event of each selling place or producer; until then only
    # administrators (and the producer or selling place itself) see the row.
    with op.batch_alter_table("recipient") as batch:
        batch.add_column(sa.Column("village_id", sa.Uuid(), nullable=True))
        batch.create_index(op.f("ix_recipient_village_id"), ["village_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recipient") as batch:
        batch.drop_index(op.f("ix_recipient_village_id"))
        batch.drop_column("village_id")
