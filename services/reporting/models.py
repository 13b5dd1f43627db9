"""Reporting's tables: copies of the catalogue, facts from events, aggregates recomputed from facts."""

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from backbone.db import NAMING_CONVENTION, Money, Percent, Quantity, UTCDateTime, utcnow

#: stands for "no producer / village known" in aggregate keys (a sale line flagged for review)
UNATTRIBUTED_PRODUCER = uuid.UUID(int=0)
UNATTRIBUTED_VILLAGE = uuid.UUID(int=0)
UNATTRIBUTED_SECTOR = "unattributed"


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# -- the catalogue, as the events told it ---------------------------------------------------------


class Village(Base):
    __tablename__ = "village"

    village_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    istat_code: Mapped[str] = mapped_column(sa.String(20))
    population: Mapped[int]


class SellingPlace(Base):
    __tablename__ = "selling_place"

    selling_place_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    village_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(sa.String(200))
    commission_rate: Mapped[Decimal] = mapped_column(Percent())


class Producer(Base):
    __tablename__ = "producer"

    producer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    #: the highest revision seen: an older update arriving late changes nothing
    revision: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    sector: Mapped[str] = mapped_column(sa.String(50))
    language: Mapped[str] = mapped_column(sa.String(5))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    vat_number: Mapped[str | None] = mapped_column(sa.String(30))
    tax_regime: Mapped[str] = mapped_column(sa.String(30))
    iban: Mapped[str | None] = mapped_column(sa.String(50))


class Product(Base):
    __tablename__ = "product"

    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    producer_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(sa.String(200))
    sector: Mapped[str] = mapped_column(sa.String(50))
    mountain_product: Mapped[bool]
    vat_rate: Mapped[Decimal] = mapped_column(Percent())


# -- facts --------------------------------------------------------------------------------------


class _Periods:
    """The calendar buckets of a fact's business day, stored so that every backend can group by them."""

    business_date: Mapped[date]
    week_start: Mapped[date]
    month_start: Mapped[date]


class SaleLineFact(_Periods, Base):
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
    sold_at: Mapped[datetime] = mapped_column(UTCDateTime())
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    gross: Mapped[Decimal] = mapped_column(Money())
    vat_rate: Mapped[Decimal] = mapped_column(Percent())
    vat: Mapped[Decimal] = mapped_column(Money())
    #: the selling place's rate when the line was stored (None until the selling place is known)
    commission_rate: Mapped[Decimal | None] = mapped_column(Percent())
    commission: Mapped[Decimal] = mapped_column(Money())
    #: when the event was recorded at its source: the freshness watermark of what includes it
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index("ix_sale_line_fact_producer_day", "producer_id", "business_date"),
        sa.Index("ix_sale_line_fact_sector_day", "sector", "business_date"),
        sa.Index("ix_sale_line_fact_place_day", "selling_place_id", "business_date"),
    )


class RefundLineFact(_Periods, Base):
    """Goods and money given back for one line of a receipt, on the refund's own business day."""

    __tablename__ = "refund_line_fact"

    refund_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[uuid.UUID]
    event_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(sa.String(10))
    selling_place_id: Mapped[uuid.UUID]
    village_id: Mapped[uuid.UUID | None]
    producer_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    sector: Mapped[str] = mapped_column(sa.String(50))
    mountain_product: Mapped[bool]
    sale_business_date: Mapped[date]
    refunded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    gross: Mapped[Decimal] = mapped_column(Money())
    vat_rate: Mapped[Decimal] = mapped_column(Percent())
    vat: Mapped[Decimal] = mapped_column(Money())
    commission_rate: Mapped[Decimal | None] = mapped_column(Percent())
    #: the commission given back with the refund (positive)
    commission: Mapped[Decimal] = mapped_column(Money())
    returned_to_shelf: Mapped[bool]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index("ix_refund_line_fact_place_day", "selling_place_id", "business_date"),
        sa.Index("ix_refund_line_fact_producer_day", "producer_id", "business_date"),
    )


class StockFact(_Periods, Base):
    """A stock movement or level change at a selling place: restock, adjustment, transfer, stock-out."""

    __tablename__ = "stock_fact"

    #: restock, adjustment, transfer_in, transfer_out, low, out, discrepancy
    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    #: the business id that makes it unique: delivery, adjustment, transfer id, or the crossing number
    reference: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    selling_place_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    producer_id: Mapped[uuid.UUID]
    event_id: Mapped[uuid.UUID]
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: signed change of the stock (0 for an alert)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    on_hand: Mapped[Decimal] = mapped_column(Quantity())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index("ix_stock_fact_place_product_time", "selling_place_id", "product_id", "occurred_at"),
        sa.Index("ix_stock_fact_day", "business_date"),
    )


# -- aggregates: recomputed from facts, never incremented -----------------------------------------


class _SalesFigures:
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    gross: Mapped[Decimal] = mapped_column(Money())
    vat: Mapped[Decimal] = mapped_column(Money())
    commission: Mapped[Decimal] = mapped_column(Money())
    lines: Mapped[int]
    receipts: Mapped[int]
    refunded_quantity: Mapped[Decimal] = mapped_column(Quantity())
    refunded_gross: Mapped[Decimal] = mapped_column(Money())
    refunded_vat: Mapped[Decimal] = mapped_column(Money())
    refunded_commission: Mapped[Decimal] = mapped_column(Money())
    refund_lines: Mapped[int]
    watermark: Mapped[datetime] = mapped_column(UTCDateTime())


class SalesDay(_SalesFigures, Base):
    """The daily cube: one row per day, selling place, producer, product (and its sector, flag, VAT rate)."""

    __tablename__ = "sales_day"

    business_date: Mapped[date] = mapped_column(primary_key=True)
    selling_place_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    village_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    producer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sector: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    mountain_product: Mapped[bool] = mapped_column(primary_key=True)
    vat_rate: Mapped[Decimal] = mapped_column(Percent(), primary_key=True)
    week_start: Mapped[date]
    month_start: Mapped[date]

    __table_args__ = (sa.Index("ix_sales_day_place_month", "selling_place_id", "month_start"),)


class SalesMonth(_SalesFigures, Base):
    """The monthly rollup of the cube, without the product: what a year's report scans."""

    __tablename__ = "sales_month"

    month_start: Mapped[date] = mapped_column(primary_key=True)
    selling_place_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    village_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    producer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sector: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    mountain_product: Mapped[bool] = mapped_column(primary_key=True)
    vat_rate: Mapped[Decimal] = mapped_column(Percent(), primary_key=True)


class SalesVillageMonth(_SalesFigures, Base):
    """The monthly rollup per village and sector (no place, producer or product): the province's view."""

    __tablename__ = "sales_village_month"

    month_start: Mapped[date] = mapped_column(primary_key=True)
    village_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sector: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    mountain_product: Mapped[bool] = mapped_column(primary_key=True)
    vat_rate: Mapped[Decimal] = mapped_column(Percent(), primary_key=True)


class ReceiptsDay(Base):
    """Whole receipts per day and selling place: the true receipt count and the average basket."""

    __tablename__ = "receipts_day"

    business_date: Mapped[date] = mapped_column(primary_key=True)
    selling_place_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    village_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    week_start: Mapped[date]
    month_start: Mapped[date]
    receipts: Mapped[int]
    gross: Mapped[Decimal] = mapped_column(Money())
    watermark: Mapped[datetime] = mapped_column(UTCDateTime())


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

    #: producer, sector (the daily tables) or place (the cube, its rollups and the receipts)
    dimension: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    business_date: Mapped[date] = mapped_column(primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Rebuild(Base):
    """A request to rebuild every aggregate from facts; it stays open until a rebuild commits."""

    __tablename__ = "rebuild"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    facts: Mapped[int | None]


# -- settlements and exports --------------------------------------------------------------------


class Statement(Base):
    """A producer's monthly settlement statement: written once, when issued, and never changed."""

    __tablename__ = "statement"

    statement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    producer_id: Mapped[uuid.UUID]
    month_start: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    producer_name: Mapped[str] = mapped_column(sa.String(200))
    iban: Mapped[str | None] = mapped_column(sa.String(50))
    gross: Mapped[Decimal] = mapped_column(Money())
    vat: Mapped[Decimal] = mapped_column(Money())
    refunded_gross: Mapped[Decimal] = mapped_column(Money())
    commission: Mapped[Decimal] = mapped_column(Money())
    commission_vat: Mapped[Decimal] = mapped_column(Money())
    payout: Mapped[Decimal] = mapped_column(Money())
    lines: Mapped[int]
    adjustments: Mapped[int]

    __table_args__ = (sa.UniqueConstraint("producer_id", "month_start"),)


class StatementLine(Base):
    """A sale or refund line settled by a statement; its primary key settles each line exactly once."""

    __tablename__ = "statement_line"

    #: sale or refund
    kind: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    #: the receipt (sale) or the refund
    document_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("statement.statement_id"), index=True)
    #: a line of an earlier month that arrived after that month's statement was issued
    adjustment: Mapped[bool]
    business_date: Mapped[date]
    selling_place_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    gross: Mapped[Decimal] = mapped_column(Money())
    vat_rate: Mapped[Decimal] = mapped_column(Percent())
    vat: Mapped[Decimal] = mapped_column(Money())
    commission_rate: Mapped[Decimal] = mapped_column(Percent())
    commission: Mapped[Decimal] = mapped_column(Money())


class ExportJob(Base):
    """A report export made in the background; its file is kept here until downloaded or expired."""

    __tablename__ = "export_job"

    export_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: the report query, as the API accepted it
    query: Mapped[str] = mapped_column(sa.Text())
    format: Mapped[str] = mapped_column(sa.String(10))
    language: Mapped[str] = mapped_column(sa.String(5))
    #: pending, ready or failed
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rows: Mapped[int | None]
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    error: Mapped[str | None] = mapped_column(sa.Text())
    #: the API key that asked for it: the export and its file are theirs (and administrators')
    requested_by: Mapped[str | None] = mapped_column(sa.String(100))
    #: the dimension (village, producer) the requester's reports are limited to, and its id; none for the network
    scope_dimension: Mapped[str | None] = mapped_column(sa.String(20))
    scope_id: Mapped[uuid.UUID | None]
