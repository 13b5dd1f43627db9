"""Reporting's tables: facts from events, aggregates recomputed from them, keys waiting for it."""

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from backbone.db import NAMING_CONVENTION, Money, Percent, Quantity, UTCDateTime, utcnow

#: stands for "no producer / no sector known" in aggregate keys (a sale line flagged for review)
UNATTRIBUTED_PRODUCER = uuid.UUID(int=0)
UNATTRIBUTED_SECTOR = "unattributed"


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class SaleLineFact(Base):
    """One sold line, as SaleRecorded told it; the source of every sales figure."""

    __tablename__ = "sale_line_fact"

    receipt_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[uuid.UUID]
    selling_place_id: Mapped[uuid.UUID]
    village_id: Mapped[uuid.UUID | None]
    producer_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    sector: Mapped[str] = mapped_column(sa.String(50))
    mountain_product: Mapped[bool]
    business_date: Mapped[date]
    sold_at: Mapped[datetime] = mapped_column(UTCDateTime())
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    gross: Mapped[Decimal] = mapped_column(Money())
    vat_rate: Mapped[Decimal] = mapped_column(Percent())
    vat: Mapped[Decimal] = mapped_column(Money())
    #: when the event was recorded at its source: the freshness watermark of what includes it
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index("ix_sale_line_fact_producer_day", "producer_id", "business_date"),
        sa.Index("ix_sale_line_fact_sector_day", "sector", "business_date"),
    )


class _DailyFigures:
    business_date: Mapped[date] = mapped_column(primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    gross: Mapped[Decimal] = mapped_column(Money())
    vat: Mapped[Decimal] = mapped_column(Money())
    lines: Mapped[int]
    receipts: Mapped[int]
    watermark: Mapped[datetime] = mapped_column(UTCDateTime())
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DailyProducerSales(_DailyFigures, Base):
    __tablename__ = "daily_producer_sales"

    producer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class DailySectorSales(_DailyFigures, Base):
    __tablename__ = "daily_sector_sales"

    sector: Mapped[str] = mapped_column(sa.String(50), primary_key=True)


class DirtyKey(Base):
    """An aggregate key whose facts changed since it was last computed."""

    __tablename__ = "dirty_key"

    dimension: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    business_date: Mapped[date] = mapped_column(primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
