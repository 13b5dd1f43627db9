"""Inventory's tables: the catalogue, stock per (selling place, product), and its ledger."""

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from backbone.db import NAMING_CONVENTION, Money, Percent, Quantity, UTCDateTime, json_type, utcnow


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Village(Base):
    __tablename__ = "village"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(100))
    istat_code: Mapped[str] = mapped_column(sa.String(6), unique=True)
    province: Mapped[str] = mapped_column(sa.String(2))
    population: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SellingPlace(Base):
    __tablename__ = "selling_place"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    village_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("village.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    timezone: Mapped[str] = mapped_column(sa.String(50), default="Europe/Rome")
    commission_rate: Mapped[Decimal] = mapped_column(Percent())
    #: weekday ("mon".."sun") -> opening intervals such as "08:30-12:30", in the place's own time zone
    opening_hours: Mapped[dict | None] = mapped_column(json_type())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Producer(Base):
    __tablename__ = "producer"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(100))
    sector: Mapped[str] = mapped_column(sa.String(50))
    home_village_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("village.id"))
    language: Mapped[str] = mapped_column(sa.String(2), default="it")
    email: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    webhook_url: Mapped[str | None] = mapped_column(sa.String(500))
    telegram_chat_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: partita IVA, 11 digits (optional: a hobby producer may have none)
    vat_number: Mapped[str | None] = mapped_column(sa.String(11), unique=True)
    tax_regime: Mapped[str] = mapped_column(sa.String(30), default="ordinary", server_default="ordinary")
    #: where the monthly payout goes, compact form
    iban: Mapped[str | None] = mapped_column(sa.String(34))
    lead_time_days: Mapped[int] = mapped_column(default=3, server_default="3")
    #: 1 at registration, +1 at every change: the copies other services keep follow the highest
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Product(Base):
    __tablename__ = "product"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    producer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("producer.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    sector: Mapped[str] = mapped_column(sa.String(50))
    unit: Mapped[str] = mapped_column(sa.String(10))
    vat_rate: Mapped[Decimal] = mapped_column(Percent())
    mountain_product: Mapped[bool] = mapped_column(default=False)
    barcode: Mapped[str | None] = mapped_column(sa.String(13), unique=True)
    #: the producer's or the office's own code, for goods without a barcode
    sku: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    reorder_threshold: Mapped[Decimal] = mapped_column(Quantity())
    active: Mapped[bool] = mapped_column(default=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProductPrice(Base):
    """A product's price from `effective_from` on: the price at a moment is the latest row not after it."""

    __tablename__ = "product_price"

    product_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("product.id"), primary_key=True)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    price: Mapped[Decimal] = mapped_column(Money())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Stock(Base):
    """What one selling place holds of one product, and where it stands against its threshold."""

    __tablename__ = "stock"

    selling_place_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("selling_place.id"), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("product.id"), primary_key=True)
    on_hand: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    reorder_threshold: Mapped[Decimal] = mapped_column(Quantity())
    target_level: Mapped[Decimal | None] = mapped_column(Quantity())
    #: True while stock is not low: the next fall into "low" raises StockLow, once
    low_armed: Mapped[bool] = mapped_column(default=False)
    #: why the current low episode began ("threshold" or "days_of_cover"); None while armed
    low_reason: Mapped[str | None] = mapped_column(sa.String(20))
    low_crossings: Mapped[int] = mapped_column(default=0)
    out_crossings: Mapped[int] = mapped_column(default=0)
    #: the earliest movement: the sales rate is measured over no more than the time goods were here
    first_movement_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class StockDocument(Base):
    """A delivery note, adjustment, stocktake or transfer: the document a group of movements belongs to.

    Its id is chosen by the client, so sending the same document again records it once.
    """

    __tablename__ = "stock_document"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    selling_place_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("selling_place.id"), index=True)
    #: the receiving selling place of a transfer
    to_selling_place_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("selling_place.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(30))
    #: the paper's own number, e.g. the delivery note (DDT) number
    number: Mapped[str | None] = mapped_column(sa.String(50))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    #: digest of what was sent: the same id with other content is refused
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StocktakeLine(Base):
    """One counted product of a stocktake: what the ledger expected, what was on the shelf."""

    __tablename__ = "stocktake_line"

    stocktake_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("stock_document.id"), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("product.id"), primary_key=True)
    expected: Mapped[Decimal] = mapped_column(Quantity())
    counted: Mapped[Decimal] = mapped_column(Quantity())
    variance: Mapped[Decimal] = mapped_column(Quantity())


class StockMovement(Base):
    """One line of the stock ledger: on-hand stock is always the sum of these."""

    __tablename__ = "stock_movement"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    selling_place_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("selling_place.id"))
    product_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("product.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    #: restock, sale, refund, adjustment, stocktake, transfer_in, transfer_out
    cause: Mapped[str] = mapped_column(sa.String(20))
    #: why an adjustment was made (breakage, expiry, theft, ...)
    reason: Mapped[str | None] = mapped_column(sa.String(30))
    #: the delivery note, receipt, refund, adjustment, stocktake or transfer this movement belongs to
    reference: Mapped[uuid.UUID | None]
    #: the event consumed that caused the movement (a SaleRecorded, a SaleRefunded), if any
    event_id: Mapped[uuid.UUID | None]
    #: when it happened on the shelf (the time of sale for a sale), which may be before it was recorded
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.Index("ix_stock_movement_place_product", "selling_place_id", "product_id", "id"),
        sa.Index("ix_stock_movement_place_product_occurred", "selling_place_id", "product_id", "occurred_at"),
    )


class UnmatchedSaleLine(Base):
    """A sold or refunded line for a product or place inventory does not know: kept for review, never dropped."""

    __tablename__ = "unmatched_sale_line"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default="sale", server_default="sale")
    selling_place_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
