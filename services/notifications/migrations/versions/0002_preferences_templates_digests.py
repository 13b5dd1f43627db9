"""preferences, templates, digests and every channel

Recipients become producers or selling places (the producer's id is the recipient's id), with
preferences and the catalogue revision they hold; alerts know whom they tell; deliveries carry
their text and may belong to a digest; sales lines and digests are kept for the daily digest.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 23:59:25.446238
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backbone.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _json():
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "digest",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("content", _json(), nullable=False),
        sa.Column("created_at", backbone.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest")),
        sa.UniqueConstraint("recipient_id", "period", name="uq_digest_recipient_period"),
    )
    op.create_index(op.f("ix_digest_recipient_id"), "digest", ["recipient_id"], unique=False)
    op.create_table(
        "digest_run",
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("created_at", backbone.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("digests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_digest_run")),
    )
    op.create_table(
        "sale_line",
        sa.Column("receipt_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Uuid(), nullable=False),
        sa.Column("selling_place_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("quantity", backbone.db.ScaledDecimal(14, 3), nullable=False),
        sa.Column("gross", backbone.db.ScaledDecimal(14, 2), nullable=False),
        sa.PrimaryKeyConstraint("receipt_id", "line_no", name=op.f("pk_sale_line")),
    )
    op.create_index("ix_sale_line_producer_day", "sale_line", ["producer_id", "business_date"], unique=False)
    op.create_table(
        "template",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", backbone.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "language", name=op.f("pk_template")),
    )

    # recipients: the producer's id becomes the recipient's id; new columns filled, then required
    with op.batch_alter_table("recipient") as batch:
        batch.alter_column("producer_id", new_column_name="id", existing_type=sa.Uuid(), existing_nullable=False)
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("telegram_chat_id", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("channels", _json(), nullable=True))
        batch.add_column(sa.Column("quiet_from", sa.Time(), nullable=True))
        batch.add_column(sa.Column("quiet_until", sa.Time(), nullable=True))
        batch.add_column(sa.Column("timezone", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("delivery_mode", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("catalogue", _json(), nullable=True))
        batch.add_column(sa.Column("operator_changed_at", _json(), nullable=True))
    connection = op.get_bind()
    recipient = sa.table(
        "recipient",
        sa.column("id", sa.Uuid()),
        sa.column("kind", sa.String()),
        sa.column("name", sa.String()),
        sa.column("language", sa.String()),
        sa.column("email", sa.String()),
        sa.column("phone", sa.String()),
        sa.column("webhook_url", sa.String()),
        sa.column("timezone", sa.String()),
        sa.column("delivery_mode", sa.String()),
        sa.column("revision", sa.Integer()),
        sa.column("catalogue", _json()),
        sa.column("operator_changed_at", _json()),
    )
    for row in connection.execute(sa.select(recipient)).mappings().all():
        catalogue = {
            "name": row["name"],
            "language": row["language"],
            "email": row["email"],
            "phone": row["phone"],
            "webhook_url": row["webhook_url"],
            "telegram_chat_id": None,
        }
        connection.execute(
            recipient.update()
            .where(recipient.c.id == row["id"])
            .values(
                kind="producer",
                timezone="Europe/Rome",
                delivery_mode="immediate",
                revision=1,
                catalogue=catalogue,
                operator_changed_at={},
            )
        )
    label = sa.table("label", sa.column("id", sa.Uuid()), sa.column("kind", sa.String()), sa.column("name", sa.String()))
    places = connection.execute(sa.select(label.c.id, label.c.name).where(label.c.kind == "selling_place")).all()
    if places:
        connection.execute(
            recipient.insert(),
            [
                {
                    "id": place.id,
                    "kind": "selling_place",
                    "name": place.name,
                    "language": "it",
                    "timezone": "Europe/Rome",
                    "delivery_mode": "immediate",
                    "revision": 0,
                    "operator_changed_at": {},
                }
                for place in places
            ],
        )
    with op.batch_alter_table("recipient") as batch:
        for name, type_ in (
            ("kind", sa.String(length=20)),
            ("timezone", sa.String(length=50)),
            ("delivery_mode", sa.String(length=10)),
            ("revision", sa.Integer()),
        ):
            batch.alter_column(name, existing_type=type_, nullable=False)

    # alerts: whom they tell, when they happened, whether they are over
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("recipient_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("days_of_cover", backbone.db.ScaledDecimal(14, 3), nullable=True))
        batch.add_column(sa.Column("reason", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("in_digest", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("occurred_at", backbone.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_at", backbone.db.UTCDateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_alert_recipient_id"), ["recipient_id"], unique=False)
    op.execute(
        "UPDATE alert SET in_digest = false, occurred_at = created_at,"
        " recipient_id = CASE WHEN kind = 'discrepancy' THEN selling_place_id ELSE producer_id END"
    )
    with op.batch_alter_table("alert") as batch:
        batch.alter_column("in_digest", existing_type=sa.Boolean(), nullable=False)
        batch.alter_column("occurred_at", existing_type=backbone.db.UTCDateTime(timezone=True), nullable=False)

    # deliveries: their own text, an alert or a digest, a recipient, quiet hours
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("digest_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("recipient_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("subject", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("not_before", backbone.db.UTCDateTime(timezone=True), nullable=True))
        batch.alter_column("alert_id", existing_type=sa.Uuid(), nullable=True)
        batch.create_index(batch.f("ix_delivery_recipient_id"), ["recipient_id"], unique=False)
        batch.create_unique_constraint("uq_delivery_digest_channel", ["digest_id", "channel"])
        batch.create_foreign_key(batch.f("fk_delivery_digest_id_digest"), "digest", ["digest_id"], ["id"])
        batch.create_check_constraint(op.f("ck_delivery_one_subject"), "(alert_id IS NULL) <> (digest_id IS NULL)")
    # an old delivery's text is written when it is sent (see service._outgoing)
    op.execute(
        "UPDATE delivery SET subject = '', text = '',"
        " recipient_id = (SELECT alert.recipient_id FROM alert WHERE alert.id = delivery.alert_id)"
    )
    op.execute(
        "UPDATE delivery SET language = COALESCE((SELECT recipient.language FROM recipient"
        " WHERE recipient.id = delivery.recipient_id), 'it')"
    )
    with op.batch_alter_table("delivery") as batch:
        batch.alter_column("language", existing_type=sa.String(length=2), nullable=False)
        batch.alter_column("subject", existing_type=sa.String(length=200), nullable=False)
        batch.alter_column("text", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM delivery WHERE alert_id IS NULL")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_constraint(op.f("ck_delivery_one_subject"), type_="check")
        batch.drop_constraint(batch.f("fk_delivery_digest_id_digest"), type_="foreignkey")
        batch.drop_constraint("uq_delivery_digest_channel", type_="unique")
        batch.drop_index(batch.f("ix_delivery_recipient_id"))
        batch.alter_column("alert_id", existing_type=sa.Uuid(), nullable=False)
        for name in ("not_before", "text", "subject", "language", "recipient_id", "digest_id"):
            batch.drop_column(name)
    with op.batch_alter_table("alert") as batch:
        batch.drop_index(batch.f("ix_alert_recipient_id"))
        for name in ("resolved_at", "occurred_at", "in_digest", "reason", "days_of_cover", "recipient_id"):
            batch.drop_column(name)
    op.execute("DELETE FROM recipient WHERE kind <> 'producer'")
    with op.batch_alter_table("recipient") as batch:
        for name in (
            "operator_changed_at",
            "catalogue",
            "revision",
            "delivery_mode",
            "timezone",
            "quiet_until",
            "quiet_from",
            "channels",
            "telegram_chat_id",
            "kind",
        ):
            batch.drop_column(name)
        batch.alter_column("id", new_column_name="producer_id", existing_type=sa.Uuid(), existing_nullable=False)
    op.drop_table("template")
    op.drop_index("ix_sale_line_producer_day", table_name="sale_line")
    op.drop_table("sale_line")
    op.drop_table("digest_run")
    op.drop_index(op.f("ix_digest_recipient_id"), table_name="digest")
    op.drop_table("digest")
