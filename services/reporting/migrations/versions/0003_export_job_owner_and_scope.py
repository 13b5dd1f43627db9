"""export job owner and scope: an export and its file belong to whoever asked for it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:34:57.818777
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Exports made before this revision have no owner: only administrators see them.
    op.add_column("export_job", sa.Column("requested_by", sa.String(length=100), nullable=True))
    op.add_column("export_job", sa.Column("scope_dimension", sa.String(length=20), nullable=True))
    op.add_column("export_job", sa.Column("scope_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    op.drop_column("export_job", "scope_id")
    op.drop_column("export_job", "scope_dimension")
    op.drop_column("export_job", "requested_by")
