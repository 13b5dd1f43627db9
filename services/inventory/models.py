"""Inventory's tables: the catalogue, stock per (selling place, product), and its ledger."""

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from backbone.db import NAMING_CONVENTION, Money, Percent, Quantity, UTCDateTime, utcnow


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Product(Base):
    __tablename__ = "product"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    producer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("producer.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    sector: Mapped[str] = mapped_column(sa.String(50))
    unit: Mapped[str] = mapped_column(sa.String(10))
    price: Mapped[Decimal] = mapped_column(Money())
    vat_rate: Mapped[Decimal] = mapped_column(Percent())
    mountain_product: Mapped[bool] = mapped_column(default=False)
    barcode: Mapped[str | None] = mapped_column(sa.String(13), unique=True)
    reorder_threshold: Mapped[Decimal] = mapped_column(Quantity())
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Stock(Base):
    """What one selling place holds of one product, and where it stands against its threshold."""

    __tablename__ = "stock"

    selling_place_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("selling_place.id"), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("product.id"), primary_key=True)
    on_hand: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    reorder_threshold: Mapped[Decimal] = mapped_column(Quantity())
    target_level: Mapped[Decimal | None] = mapped_column(Quantity())
    #: True while stock is above the threshold: the next fall below it raises StockLow, once
    low_armed: Mapped[bool] = mapped_column(default=False)
    low_crossings: Mapped[int] = mapped_column(default=0)
    out_crossings: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class StockMovement(Base):
    """One line of the stock ledger: on-hand stock is always the sum of these."""

    __tablename__ = "stock_movement"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    selling_place_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("selling_place.id"))
    product_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("product.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    cause: Mapped[str] = mapped_column(sa.String(20))
    #: the delivery note, receipt, ... this movement belongs to
    reference: Mapped[uuid.UUID | None]
    #: the event consumed that caused the movement (a SaleRecorded), if any
    event_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.Index("ix_stock_movement_place_product", "selling_place_id", "product_id", "id"),)


class UnmatchedSaleLine(Base):
    """A sold line for a product inventory does not know: kept for review, never dropped."""

    __tablename__ = "unmatched_sale_line"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    selling_place_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
