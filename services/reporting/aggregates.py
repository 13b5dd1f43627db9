"""Aggregates recomputed from facts, set-wise in SQL, for dirty keys or for everything at once.

Aggregates are never incremented. Storing a fact marks its keys dirty; `recompute_dirty` takes a
batch of dirty keys, deletes their aggregate rows and inserts them again from all their facts, and
clears the marks, in one transaction: a reader sees the old or the new rows, never half. A rebuild
does the same for every key in one transaction (PostgreSQL keeps serving the old rows until it
commits), so a worker killed mid-rebuild leaves the old aggregates whole, and the open rebuild
request makes the next worker start it again.
"""

from __future__ import annotations

import uuid
from datetime import date
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import Money, Quantity, UTCDateTime, utcnow
from services.reporting.facts import mark_dirty, month_start
from services.reporting.models import (
    UNATTRIBUTED_VILLAGE,
    DailyProducerSales,
    DailySectorSales,
    DirtyKey,
    Rebuild,
    ReceiptsDay,
    RefundLineFact,
    SaleLineFact,
    SalesDay,
    SalesMonth,
    SalesVillageMonth,
)

#: the advisory lock that makes a rebuild wait for running recomputations (and stop new ones)
AGGREGATES_LOCK = 0x5E111A6


def _lock(session: Session, *, exclusive: bool) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite runs one writer at a time anyway
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(sa.select(getattr(sa.func, function)(AGGREGATES_LOCK)))


def _zero(type_):
    return sa.literal(0, type_())


# -- the daily tables per producer and per sector (GET /reports/daily) ------------------------------

_DAILY = {
    "producer": (DailyProducerSales, SaleLineFact.producer_id, DailyProducerSales.producer_id, uuid.UUID),
    "sector": (DailySectorSales, SaleLineFact.sector, DailySectorSales.sector, str),
}


def _recompute_daily(session: Session, name: str, pairs: list | None, now) -> None:
    table, fact_column, key_column, _ = _DAILY[name]
    delete = sa.delete(table)
    figures = sa.select(
        fact_column,
        SaleLineFact.business_date,
        sa.func.sum(SaleLineFact.quantity),
        sa.func.sum(SaleLineFact.gross),
        sa.func.sum(SaleLineFact.vat),
        sa.func.count(),
        sa.func.count(sa.distinct(SaleLineFact.receipt_id)),
        sa.func.max(SaleLineFact.recorded_at),
        sa.literal(now, UTCDateTime()),
    ).group_by(fact_column, SaleLineFact.business_date)
    if pairs is not None:
        delete = delete.where(sa.tuple_(key_column, table.business_date).in_(pairs))
        figures = figures.where(sa.tuple_(fact_column, SaleLineFact.business_date).in_(pairs))
    session.execute(delete)
    columns = [key_column.key, "business_date", "quantity", "gross", "vat", "lines", "receipts", "watermark", "computed_at"]
    session.execute(sa.insert(table).from_select(columns, figures))


# -- the cube, its monthly rollup and the receipts, per selling place and day ---------------------

_KEY = ["business_date", "selling_place_id", "village_id", "producer_id", "product_id", "sector", "mountain_product", "vat_rate"]
_FIGURES = [
    "quantity",
    "gross",
    "vat",
    "commission",
    "lines",
    "receipts",
    "refunded_quantity",
    "refunded_gross",
    "refunded_vat",
    "refunded_commission",
    "refund_lines",
    "watermark",
]


def _village(column):
    return sa.func.coalesce(column, sa.literal(UNATTRIBUTED_VILLAGE, sa.Uuid())).label("village_id")


def _movements(where_sales, where_refunds):
    sale, refund = SaleLineFact, RefundLineFact
    sales = sa.select(
        sale.business_date,
        sale.selling_place_id,
        _village(sale.village_id),
        sale.producer_id,
        sale.product_id,
        sale.sector,
        sale.mountain_product,
        sale.vat_rate,
        sale.week_start,
        sale.month_start,
        sale.quantity.label("quantity"),
        sale.gross.label("gross"),
        sale.vat.label("vat"),
        sale.commission.label("commission"),
        sa.literal(1).label("lines"),
        sale.receipt_id.label("receipt_id"),
        _zero(Quantity).label("refunded_quantity"),
        _zero(Money).label("refunded_gross"),
        _zero(Money).label("refunded_vat"),
        _zero(Money).label("refunded_commission"),
        sa.literal(0).label("refund_lines"),
        sale.recorded_at.label("recorded_at"),
    )
    refunds = sa.select(
        refund.business_date,
        refund.selling_place_id,
        _village(refund.village_id),
        refund.producer_id,
        refund.product_id,
        refund.sector,
        refund.mountain_product,
        refund.vat_rate,
        refund.week_start,
        refund.month_start,
        _zero(Quantity),
        _zero(Money),
        _zero(Money),
        _zero(Money),
        sa.literal(0),
        sa.cast(sa.null(), sa.Uuid()),
        refund.quantity,
        refund.gross,
        refund.vat,
        refund.commission,
        sa.literal(1),
        refund.recorded_at,
    )
    if where_sales is not None:
        sales, refunds = sales.where(where_sales), refunds.where(where_refunds)
    return sa.union_all(sales, refunds).subquery("movement")


def _sum_figures(source, *, receipts):
    c = source.c
    return [
        sa.func.sum(c.quantity),
        sa.func.sum(c.gross),
        sa.func.sum(c.vat),
        sa.func.sum(c.commission),
        sa.func.sum(c.lines),
        receipts,
        sa.func.sum(c.refunded_quantity),
        sa.func.sum(c.refunded_gross),
        sa.func.sum(c.refunded_vat),
        sa.func.sum(c.refunded_commission),
        sa.func.sum(c.refund_lines),
        sa.func.max(c.watermark if "watermark" in c else c.recorded_at),
    ]


def _recompute_places(session: Session, pairs: list | None) -> None:
    """The cube, the receipts and the monthly rollup of the given (selling place, day) pairs, or of all."""
    where_sales = where_refunds = None
    deletes = [sa.delete(SalesDay), sa.delete(ReceiptsDay)]
    if pairs is not None:
        where_sales = sa.tuple_(SaleLineFact.selling_place_id, SaleLineFact.business_date).in_(pairs)
        where_refunds = sa.tuple_(RefundLineFact.selling_place_id, RefundLineFact.business_date).in_(pairs)
        deletes = [
            sa.delete(table).where(sa.tuple_(table.selling_place_id, table.business_date).in_(pairs))
            for table in (SalesDay, ReceiptsDay)
        ]
    for delete in deletes:
        session.execute(delete)

    movement = _movements(where_sales, where_refunds)
    key = [movement.c[name] for name in _KEY]
    cube = sa.select(
        *key,
        movement.c.week_start,
        movement.c.month_start,
        *_sum_figures(movement, receipts=sa.func.count(sa.distinct(movement.c.receipt_id))),
    ).group_by(*key, movement.c.week_start, movement.c.month_start)
    session.execute(sa.insert(SalesDay).from_select([*_KEY, "week_start", "month_start", *_FIGURES], cube))

    sale = SaleLineFact
    receipts = sa.select(
        sale.business_date,
        sale.selling_place_id,
        _village(sale.village_id),
        sale.week_start,
        sale.month_start,
        sa.func.count(sa.distinct(sale.receipt_id)),
        sa.func.sum(sale.gross),
        sa.func.max(sale.recorded_at),
    ).group_by(sale.business_date, sale.selling_place_id, sale.village_id, sale.week_start, sale.month_start)
    if where_sales is not None:
        receipts = receipts.where(where_sales)
    session.execute(
        sa.insert(ReceiptsDay).from_select(
            ["business_date", "selling_place_id", "village_id", "week_start", "month_start", "receipts", "gross", "watermark"],
            receipts,
        )
    )
    _rollup_months(session, None if pairs is None else sorted({(place, month_start(day)) for place, day in pairs}))


def _lock_months(session: Session, months: set[date]) -> None:
    """Serialise the rollups of a month between recomputations (a rebuild holds the exclusive lock instead).

    Two workers may hold different days of one selling place, or places of one village: each must
    roll the month up after the other has committed, else the later rollup misses the earlier's days.
    """
    if session.get_bind().dialect.name != "postgresql" or not months:
        return
    # the two-key form: a key space of its own, apart from AGGREGATES_LOCK; taken in one order
    keys = sorted(month.toordinal() for month in months)
    session.execute(
        sa.text("SELECT count(pg_advisory_xact_lock(:space, k)) FROM unnest(CAST(:keys AS integer[])) AS k"),
        {"space": AGGREGATES_LOCK & 0x7FFFFFFF, "keys": keys},
    )


def _rollup_months(session: Session, months: list | None) -> None:
    if months is not None:
        _lock_months(session, {month for _, month in months})
    delete = sa.delete(SalesMonth)
    day = SalesDay
    key = [day.month_start, day.selling_place_id, day.village_id, day.producer_id, day.sector, day.mountain_product, day.vat_rate]
    source = sa.select(
        *key,
        day.quantity,
        day.gross,
        day.vat,
        day.commission,
        day.lines,
        day.receipts,
        day.refunded_quantity,
        day.refunded_gross,
        day.refunded_vat,
        day.refunded_commission,
        day.refund_lines,
        day.watermark,
    )
    if months is not None:
        delete = delete.where(sa.tuple_(SalesMonth.selling_place_id, SalesMonth.month_start).in_(months))
        source = source.where(sa.tuple_(day.selling_place_id, day.month_start).in_(months))
    session.execute(delete)
    source = source.subquery("day")
    rollup_key = [source.c[column.key] for column in key]
    rollup = sa.select(*rollup_key, *_sum_figures(source, receipts=sa.func.sum(source.c.receipts))).group_by(*rollup_key)
    session.execute(sa.insert(SalesMonth).from_select([column.key for column in key] + _FIGURES, rollup))
    _rollup_villages(session, months)


def _rollup_villages(session: Session, months: list | None) -> None:
    """Roll the months of the given (selling place, month) pairs up per village and sector, or every month."""
    month = SalesMonth
    delete = sa.delete(SalesVillageMonth)
    source = sa.select(SalesMonth)
    if months is not None:
        villages = sorted(
            session.execute(
                sa.select(month.village_id, month.month_start)
                .where(sa.tuple_(month.selling_place_id, month.month_start).in_(months))
                .distinct()
            ).all()
        )
        if not villages:
            return
        delete = delete.where(sa.tuple_(SalesVillageMonth.village_id, SalesVillageMonth.month_start).in_(villages))
        source = source.where(sa.tuple_(month.village_id, month.month_start).in_(villages))
    session.execute(delete)
    source = source.subquery("month")
    key = [source.c[name] for name in ("month_start", "village_id", "sector", "mountain_product", "vat_rate")]
    rollup = sa.select(*key, *_sum_figures(source, receipts=sa.func.sum(source.c.receipts))).group_by(*key)
    session.execute(sa.insert(SalesVillageMonth).from_select([column.key for column in key] + _FIGURES, rollup))


# -- dirty keys -----------------------------------------------------------------------------------


def recompute_dirty(*, session: Session, limit: int = 500) -> int:
    """Recompute up to `limit` dirty aggregate keys from their facts; returns how many were done."""
    _lock(session, exclusive=False)
    dirty = session.scalars(
        sa.select(DirtyKey)
        .order_by(DirtyKey.dimension, DirtyKey.key, DirtyKey.business_date)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not dirty:
        return 0
    now = utcnow()
    for name, keys in groupby(dirty, key=lambda k: k.dimension):
        if name == "place":
            _recompute_places(session, [(uuid.UUID(k.key), k.business_date) for k in keys])
        else:
            parse = _DAILY[name][3]
            _recompute_daily(session, name, [(parse(k.key), k.business_date) for k in keys], now)
    session.execute(
        sa.delete(DirtyKey).where(
            sa.tuple_(DirtyKey.dimension, DirtyKey.key, DirtyKey.business_date).in_(
                [(k.dimension, k.key, k.business_date) for k in dirty]
            )
        )
    )
    return len(dirty)


def pending_keys(*, session: Session, dimension: str | None = None) -> int:
    """How many aggregate keys wait for recomputation."""
    query = sa.select(sa.func.count()).select_from(DirtyKey)
    if dimension is not None:
        query = query.where(DirtyKey.dimension == dimension)
    return session.scalar(query)


# -- rebuild --------------------------------------------------------------------------------------


def rebuild_all(*, session: Session) -> int:
    """Rebuild every aggregate from the facts in the caller's transaction; returns the facts read."""
    _lock(session, exclusive=True)
    # Marks taken now are satisfied by this rebuild (its reads start after this statement);
    # marks made later stay, and are recomputed after it.
    session.execute(sa.delete(DirtyKey))
    now = utcnow()
    _recompute_places(session, None)
    for name in _DAILY:
        _recompute_daily(session, name, None, now)
    return session.scalar(sa.select(sa.func.count()).select_from(SaleLineFact)) + session.scalar(
        sa.select(sa.func.count()).select_from(RefundLineFact)
    )


def request_rebuild(*, session: Session) -> uuid.UUID:
    """Ask for a rebuild of every aggregate; it stays open until one commits."""
    rebuild = Rebuild(id=uuid.uuid4(), requested_at=utcnow(), attempts=0)
    session.add(rebuild)
    session.flush()
    return rebuild.id


def open_rebuild(*, session: Session) -> uuid.UUID | None:
    """The oldest rebuild request not yet done, counting this attempt at it."""
    rebuild = session.scalars(
        sa.select(Rebuild).where(Rebuild.finished_at.is_(None)).order_by(Rebuild.requested_at).limit(1)
    ).first()
    if rebuild is None:
        return None
    rebuild.attempts += 1
    return rebuild.id


def finish_rebuild(*, session: Session, rebuild_id: uuid.UUID, facts: int) -> None:
    """Close every open rebuild request made before this one started (they are all satisfied)."""
    started = session.get(Rebuild, rebuild_id)
    session.execute(
        sa.update(Rebuild)
        .where(Rebuild.finished_at.is_(None), Rebuild.requested_at <= started.requested_at)
        .values(finished_at=utcnow(), facts=facts)
    )


def touch_day(*, session: Session, day: date) -> int:
    """Mark every selling place that has facts on `day` dirty (the nightly rollup of yesterday)."""
    places = session.scalars(sa.select(SaleLineFact.selling_place_id).where(SaleLineFact.business_date == day).distinct())
    refund_places = session.scalars(
        sa.select(RefundLineFact.selling_place_id).where(RefundLineFact.business_date == day).distinct()
    )
    return mark_dirty(session, {("place", str(place), day) for place in {*places, *refund_places}})
