"""Notifications' tables: whom to tell and how, the alerts, the digests, one delivery per (message, channel)."""

import uuid
from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from backbone.db import NAMING_CONVENTION, Money, Quantity, UTCDateTime, json_type, utcnow


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Recipient(Base):
    """A producer or a selling place: its contacts and how it wants to be told.

    A producer's first values come from the catalogue events; the API manages them afterwards.
    `catalogue` keeps the values of the newest catalogue revision applied (`revision`), and
    `operator_changed_at` when an operator last changed each field here, so that a catalogue
    event only changes what the catalogue itself changed, and never undoes a later operator change.
    """

    __tablename__ = "recipient"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    #: producer | selling_place
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: the selling place's village, or the producer's home village: whose village office may manage it
    village_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    language: Mapped[str] = mapped_column(sa.String(2), default="it")
    email: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    webhook_url: Mapped[str | None] = mapped_column(sa.String(500))
    telegram_chat_id: Mapped[str | None] = mapped_column(sa.String(100))
    #: the channels chosen; None: every channel with a contact
    channels: Mapped[list | None] = mapped_column(json_type())
    #: quiet hours in the recipient's local time; from > until spans midnight
    quiet_from: Mapped[time | None] = mapped_column(sa.Time())
    quiet_until: Mapped[time | None] = mapped_column(sa.Time())
    timezone: Mapped[str] = mapped_column(sa.String(50), default="Europe/Rome")
    #: immediate | digest
    delivery_mode: Mapped[str] = mapped_column(sa.String(10), default="immediate")
    revision: Mapped[int] = mapped_column(default=0)
    catalogue: Mapped[dict | None] = mapped_column(json_type())
    operator_changed_at: Mapped[dict | None] = mapped_column(json_type())


class Label(Base):
    """The display name of a product or selling place, for messages people can read."""

    __tablename__ = "label"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100))


class Template(Base):
    """An operator's wording of one kind of message in one language (the defaults live in code)."""

    __tablename__ = "template"

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Alert(Base):
    """Something a person must know: one row per threshold crossing, however often it is reported."""

    __tablename__ = "alert"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: low_stock | out_of_stock | discrepancy
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: kind + selling place + product + crossing: the same crossing never makes a second alert
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    producer_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    #: who is told: the producer (low, out of stock) or the selling place (discrepancy)
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    selling_place_id: Mapped[uuid.UUID] = mapped_column(index=True)
    product_id: Mapped[uuid.UUID]
    on_hand: Mapped[Decimal] = mapped_column(Quantity())
    threshold: Mapped[Decimal | None] = mapped_column(Quantity())
    suggested_quantity: Mapped[Decimal | None] = mapped_column(Quantity())
    days_of_cover: Mapped[Decimal | None] = mapped_column(Quantity())
    reason: Mapped[str | None] = mapped_column(sa.String(20))
    #: told in the daily digest instead of at once (the recipient chose the digest)
    in_digest: Mapped[bool] = mapped_column(default=False)
    source_event_id: Mapped[uuid.UUID]
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: when stock came back above the threshold (a restock): no longer "running low"
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    deliveries: Mapped[list["Delivery"]] = relationship(lazy="selectin", order_by="Delivery.channel")


class SaleLine(Base):
    """One line of a recorded sale, kept for the producers' daily digests."""

    __tablename__ = "sale_line"

    receipt_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[uuid.UUID]
    selling_place_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    business_date: Mapped[date]
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    gross: Mapped[Decimal] = mapped_column(Money())

    __table_args__ = (sa.Index("ix_sale_line_producer_day", "producer_id", "business_date"),)


class DigestRun(Base):
    """The daily digest of one period was made: inserted once, so a second beat makes nothing."""

    __tablename__ = "digest_run"

    period: Mapped[date] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    digests: Mapped[int] = mapped_column(default=0)


class Digest(Base):
    """One producer's daily digest: what sold where on `period` and what is running low."""

    __tablename__ = "digest"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    recipient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    period: Mapped[date]
    content: Mapped[dict] = mapped_column(json_type())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    deliveries: Mapped[list["Delivery"]] = relationship(lazy="selectin", order_by="Delivery.channel")

    __table_args__ = (sa.UniqueConstraint("recipient_id", "period", name="uq_digest_recipient_period"),)


class Delivery(Base):
    """One alert or digest sent on one channel; persisted before any attempt, so no send is ever untracked."""

    __tablename__ = "delivery"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    alert_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("alert.id"))
    digest_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("digest.id"))
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(sa.String(20))
    target: Mapped[str] = mapped_column(sa.String(500))
    language: Mapped[str] = mapped_column(sa.String(2), default="it")
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    text: Mapped[str] = mapped_column(sa.Text(), default="")
    #: held (quiet hours) -> pending -> sent | failed; an operator may send a failed one again
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    #: not sent before this moment (the end of the recipient's quiet hours)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("alert_id", "channel", name="uq_delivery_alert_channel"),
        sa.UniqueConstraint("digest_id", "channel", name="uq_delivery_digest_channel"),
        sa.CheckConstraint("(alert_id IS NULL) <> (digest_id IS NULL)", name="one_subject"),
        sa.Index("ix_delivery_pending", "status", "updated_at"),
    )
