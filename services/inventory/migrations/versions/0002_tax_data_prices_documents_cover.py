"""producers' tax data, price history, stock documents and days of cover

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:01:51.614929
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backbone.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stock_document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("selling_place_id", sa.Uuid(), nullable=False),
        sa.Column("to_selling_place_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("number", sa.String(length=50), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("created_at", backbone.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["selling_place_id"], ["selling_place.id"], name=op.f("fk_stock_document_selling_place_id_selling_place")
        ),
        sa.ForeignKeyConstraint(
            ["to_selling_place_id"], ["selling_place.id"], name=op.f("fk_stock_document_to_selling_place_id_selling_place")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_document")),
    )
    op.create_index(op.f("ix_stock_document_selling_place_id"), "stock_document", ["selling_place_id"], unique=False)
    op.create_table(
        "product_price",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("effective_from", backbone.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("price", backbone.db.ScaledDecimal(14, 2), nullable=False),
        sa.Column("created_at", backbone.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_product_price_product_id_product")),
        sa.PrimaryKeyConstraint("product_id", "effective_from", name=op.f("pk_product_price")),
    )
    op.create_table(
        "stocktake_line",
        sa.Column("stocktake_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("expected", backbone.db.ScaledDecimal(14, 3), nullable=False),
        sa.Column("counted", backbone.db.ScaledDecimal(14, 3), nullable=False),
        sa.Column("variance", backbone.db.ScaledDecimal(14, 3), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_stocktake_line_product_id_product")),
        sa.ForeignKeyConstraint(
            ["stocktake_id"], ["stock_document.id"], name=op.f("fk_stocktake_line_stocktake_id_stock_document")
        ),
        sa.PrimaryKeyConstraint("stocktake_id", "product_id", name=op.f("pk_stocktake_line")),
    )
    with op.batch_alter_table("producer") as batch:
        batch.add_column(sa.Column("telegram_chat_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("vat_number", sa.String(length=11), nullable=True))
        batch.add_column(sa.Column("tax_regime", sa.String(length=30), server_default="ordinary", nullable=False))
        batch.add_column(sa.Column("iban", sa.String(length=34), nullable=True))
        batch.add_column(sa.Column("lead_time_days", sa.Integer(), server_default="3", nullable=False))
        batch.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        batch.create_unique_constraint(op.f("uq_producer_vat_number"), ["vat_number"])

    # every product's price so far becomes the first entry of its price history
    op.execute(
        "INSERT INTO product_price (product_id, effective_from, price, created_at) SELECT id, created_at, price, created_at FROM product"
    )
    with op.batch_alter_table("product") as batch:
        batch.add_column(sa.Column("sku", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("retired_at", backbone.db.UTCDateTime(timezone=True), nullable=True))
        batch.create_unique_constraint(op.f("uq_product_sku"), ["sku"])
        batch.drop_column("price")

    with op.batch_alter_table("selling_place") as batch:
        batch.add_column(
            sa.Column(
                "opening_hours", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
            )
        )

    with op.batch_alter_table("stock_movement") as batch:
        batch.add_column(sa.Column("reason", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("occurred_at", backbone.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE stock_movement SET occurred_at = created_at")
    with op.batch_alter_table("stock_movement") as batch:
        batch.alter_column("occurred_at", existing_type=backbone.db.UTCDateTime(timezone=True), nullable=False)
    op.create_index(
        "ix_stock_movement_place_product_occurred",
        "stock_movement",
        ["selling_place_id", "product_id", "occurred_at"],
        unique=False,
    )

    with op.batch_alter_table("stock") as batch:
        batch.add_column(sa.Column("low_reason", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("first_movement_at", backbone.db.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE stock SET low_reason = 'threshold' WHERE NOT low_armed AND reorder_threshold > 0 AND on_hand <= reorder_threshold"
    )
    op.execute(
        "UPDATE stock SET first_movement_at = (SELECT min(m.occurred_at) FROM stock_movement m"
        " WHERE m.selling_place_id = stock.selling_place_id AND m.product_id = stock.product_id)"
    )

    # deliveries recorded so far stay idempotent: each becomes a document (without a fingerprint)
    op.execute(
        "INSERT INTO stock_document (id, kind, selling_place_id, created_at)"
        " SELECT reference, 'delivery', selling_place_id, min(created_at) FROM stock_movement"
        " WHERE cause = 'restock' AND reference IS NOT NULL GROUP BY reference, selling_place_id"
    )

    with op.batch_alter_table("unmatched_sale_line") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=10), server_default="sale", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("unmatched_sale_line") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("stock") as batch:
        batch.drop_column("first_movement_at")
        batch.drop_column("low_reason")
    op.drop_index("ix_stock_movement_place_product_occurred", table_name="stock_movement")
    with op.batch_alter_table("stock_movement") as batch:
        batch.drop_column("occurred_at")
        batch.drop_column("reason")
    with op.batch_alter_table("selling_place") as batch:
        batch.drop_column("opening_hours")

    with op.batch_alter_table("product") as batch:
        batch.add_column(sa.Column("price", backbone.db.ScaledDecimal(14, 2), nullable=True))
    # the single price column keeps the latest price of the history
    op.execute(
        "UPDATE product SET price = (SELECT p.price FROM product_price p WHERE p.product_id = product.id"
        " ORDER BY p.effective_from DESC LIMIT 1)"
    )
    with op.batch_alter_table("product") as batch:
        batch.alter_column("price", existing_type=backbone.db.ScaledDecimal(14, 2), nullable=False)
        batch.drop_constraint(op.f("uq_product_sku"), type_="unique")
        batch.drop_column("retired_at")
        batch.drop_column("sku")

    with op.batch_alter_table("producer") as batch:
        batch.drop_constraint(op.f("uq_producer_vat_number"), type_="unique")
        batch.drop_column("revision")
        batch.drop_column("lead_time_days")
        batch.drop_column("iban")
        batch.drop_column("tax_regime")
        batch.drop_column("vat_number")
        batch.drop_column("telegram_chat_id")
    op.drop_table("stocktake_line")
    op.drop_table("product_price")
    op.drop_index(op.f("ix_stock_document_selling_place_id"), table_name="stock_document")
    op.drop_table("stock_document")
