"""Notifications' tables: whom to tell and how, the alerts, and one delivery per (alert, channel)."""

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from backbone.db import NAMING_CONVENTION, Quantity, UTCDateTime, utcnow


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Recipient(Base):
    """A producer's name, language and channels, kept from ProducerRegistered."""

    __tablename__ = "recipient"

    producer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    language: Mapped[str] = mapped_column(sa.String(2))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    webhook_url: Mapped[str | None] = mapped_column(sa.String(500))


class Label(Base):
    """The display name of a product or selling place, for messages people can read."""

    __tablename__ = "label"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100))


class Alert(Base):
    """Something a person must know: one row per threshold crossing, however often it is reported."""

    __tablename__ = "alert"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: low_stock | out_of_stock | discrepancy
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: kind + selling place + product + crossing: the same crossing never makes a second alert
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    producer_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    selling_place_id: Mapped[uuid.UUID] = mapped_column(index=True)
    product_id: Mapped[uuid.UUID]
    on_hand: Mapped[Decimal] = mapped_column(Quantity())
    threshold: Mapped[Decimal | None] = mapped_column(Quantity())
    suggested_quantity: Mapped[Decimal | None] = mapped_column(Quantity())
    source_event_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    deliveries: Mapped[list["Delivery"]] = relationship(lazy="selectin", order_by="Delivery.channel")


class Delivery(Base):
    """One alert sent on one channel; persisted before any attempt, so no send is ever untracked."""

    __tablename__ = "delivery"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    alert_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("alert.id"))
    channel: Mapped[str] = mapped_column(sa.String(20))
    target: Mapped[str] = mapped_column(sa.String(500))
    #: pending -> sent | failed
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("alert_id", "channel", name="uq_delivery_alert_channel"),
        sa.Index("ix_delivery_pending", "status", "updated_at"),
    )
