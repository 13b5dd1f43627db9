"""Reporting's use cases: store facts from events, recompute aggregates from facts, answer reports.

Aggregates are never incremented. Storing a fact marks its aggregate keys dirty (in the same
transaction); a Celery task later recomputes each dirty key from all its facts and clears the mark
in one transaction. A repeated or retried task recomputes the same figures, and a reader sees
either the old or the new aggregate, never half of one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import UTCDateTime, insert_ignoring_conflicts, utcnow
from backbone.events import Event
from services.reporting.models import (
    UNATTRIBUTED_PRODUCER,
    UNATTRIBUTED_SECTOR,
    DailyProducerSales,
    DailySectorSales,
    DirtyKey,
    SaleLineFact,
)


@dataclass(frozen=True)
class Dimension:
    table: type
    fact_column: sa.Column
    key_column: sa.Column
    parse: type


DIMENSIONS = {
    "producer": Dimension(DailyProducerSales, SaleLineFact.producer_id, DailyProducerSales.producer_id, uuid.UUID),
    "sector": Dimension(DailySectorSales, SaleLineFact.sector, DailySectorSales.sector, str),
}


def store_sales(*, session: Session, events: list[Event]) -> int:
    """Store the lines of SaleRecorded events as facts and mark their aggregates dirty; returns the keys."""
    facts = [fact for event in events for fact in _facts(event)]
    # Primary key (receipt, line): the same sale arriving again, even as another event, adds nothing.
    insert_ignoring_conflicts(session, SaleLineFact.__table__, facts)
    keys = {("producer", str(f["producer_id"]), f["business_date"]) for f in facts} | {
        ("sector", f["sector"], f["business_date"]) for f in facts
    }
    return _mark_dirty(session, keys)


def _facts(event: Event) -> list[dict]:
    sale = event.data
    return [
        {
            "receipt_id": sale["receipt_id"],
            "line_no": line["line_no"],
            "event_id": event.event_id,
            "selling_place_id": sale["selling_place_id"],
            "village_id": sale["village_id"],
            "producer_id": line["producer_id"] or UNATTRIBUTED_PRODUCER,
            "product_id": line["product_id"],
            "sector": line["sector"] or UNATTRIBUTED_SECTOR,
            "mountain_product": line["mountain_product"],
            "business_date": sale["business_date"],
            "sold_at": sale["sold_at"],
            "quantity": line["quantity"],
            "gross": line["gross"],
            "vat_rate": line["vat_rate"],
            "vat": line["vat"],
            "recorded_at": event.recorded_at,
        }
        for line in sale["lines"]
    ]


def _mark_dirty(session: Session, keys: set[tuple[str, str, date]]) -> int:
    now = utcnow()
    rows = [{"dimension": d, "key": k, "business_date": day, "since": now} for d, k, day in sorted(keys)]
    insert_ignoring_conflicts(session, DirtyKey.__table__, rows)
    return len(rows)


def recompute_dirty(*, session: Session, limit: int = 500) -> int:
    """Recompute up to `limit` dirty aggregate keys from their facts; returns how many were done."""
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
        dimension = DIMENSIONS[name]
        pairs = [(dimension.parse(k.key), k.business_date) for k in keys]
        table = dimension.table
        session.execute(sa.delete(table).where(sa.tuple_(dimension.key_column, table.business_date).in_(pairs)))
        figures = (
            sa.select(
                dimension.fact_column,
                SaleLineFact.business_date,
                sa.func.sum(SaleLineFact.quantity),
                sa.func.sum(SaleLineFact.gross),
                sa.func.sum(SaleLineFact.vat),
                sa.func.count(),
                sa.func.count(sa.distinct(SaleLineFact.receipt_id)),
                sa.func.max(SaleLineFact.recorded_at),
                sa.literal(now, UTCDateTime()),
            )
            .where(sa.tuple_(dimension.fact_column, SaleLineFact.business_date).in_(pairs))
            .group_by(dimension.fact_column, SaleLineFact.business_date)
        )
        session.execute(
            sa.insert(table).from_select(
                [
                    dimension.key_column.key,
                    "business_date",
                    "quantity",
                    "gross",
                    "vat",
                    "lines",
                    "receipts",
                    "watermark",
                    "computed_at",
                ],
                figures,
            )
        )
    session.execute(
        sa.delete(DirtyKey).where(
            sa.tuple_(DirtyKey.dimension, DirtyKey.key, DirtyKey.business_date).in_(
                [(k.dimension, k.key, k.business_date) for k in dirty]
            )
        )
    )
    return len(dirty)


def daily_report(*, session: Session, group_by: str, date_from: date, date_to: date, key=None) -> dict:
    """Daily figures per producer or per sector, with the freshness of what they include."""
    dimension = DIMENSIONS[group_by]
    table = dimension.table
    query = (
        sa.select(table)
        .where(table.business_date.between(date_from, date_to))
        .order_by(table.business_date, dimension.key_column)
    )
    if key is not None:
        query = query.where(dimension.key_column == key)
    rows = session.scalars(query).all()
    watermark = session.scalar(sa.select(sa.func.max(table.watermark)))
    pending = session.scalar(sa.select(sa.func.count()).select_from(DirtyKey).where(DirtyKey.dimension == group_by))
    return {
        "group_by": group_by,
        "date_from": date_from,
        "date_to": date_to,
        "watermark": watermark,
        "pending_keys": pending,
        "rows": [
            {
                "key": str(getattr(row, dimension.key_column.key)),
                "business_date": row.business_date,
                "quantity": row.quantity,
                "gross": row.gross,
                "vat": row.vat,
                "net": row.gross - row.vat,
                "lines": row.lines,
                "receipts": row.receipts,
            }
            for row in rows
        ],
    }
