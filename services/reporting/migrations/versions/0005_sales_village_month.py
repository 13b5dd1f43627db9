"""sales per village, sector and month: the rollup a province's report reads

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 07:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

import backbone.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sales_village_month",
        sa.Column("month_start", sa.Date(), nullable=False),
        sa.Column("village_id", sa.Uuid(), nullable=False),
        sa.Column("sector", sa.String(length=50), nullable=False),
        sa.Column("mountain_product", sa.Boolean(), nullable=False),
        sa.Column("vat_rate", backbone.db.ScaledDecimal(5, 2), nullable=False),
        sa.Column("quantity", backbone.db.ScaledDecimal(14, 3), nullable=False),
        sa.Column("gross", backbone.db.ScaledDecimal(14, 2), nullable=False),
        sa.Column("vat", backbone.db.ScaledDecimal(14, 2), nullable=False),
        sa.Column("commission", backbone.db.ScaledDecimal(14, 2), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("receipts", sa.Integer(), nullable=False),
        sa.Column("refunded_quantity", backbone.db.ScaledDecimal(14, 3), nullable=False),
        sa.Column("refunded_gross", backbone.db.ScaledDecimal(14, 2), nullable=False),
        sa.Column("refunded_vat", backbone.db.ScaledDecimal(14, 2), nullable=False),
        sa.Column("refunded_commission", backbone.db.ScaledDecimal(14, 2), nullable=False),
        sa.Column("refund_lines", sa.Integer(), nullable=False),
        sa.Column("watermark", backbone.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "month_start", "village_id", "sector", "mountain_product", "vat_rate", name=op.f("pk_sales_village_month")
        ),
    )
    # Existing aggregates get their village rollup from the per-place one, as a recomputation does.
    op.execute(
        """
        INSERT INTO sales_village_month
        SELECT month_start, village_id, sector, mountain_product, vat_rate,
               sum(quantity), sum(gross), sum(vat), sum(commission), sum(lines), sum(receipts),
               sum(refunded_quantity), sum(refunded_gross), sum(refunded_vat), sum(refunded_commission),
               sum(refund_lines), max(watermark)
        FROM sales_month
        GROUP BY month_start, village_id, sector, mountain_product, vat_rate
        """
    )


def downgrade() -> None:
    op.drop_table("sales_village_month")
