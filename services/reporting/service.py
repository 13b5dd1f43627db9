"""Reporting's use cases over the daily tables; facts live in facts.py, aggregates in aggregates.py.

Aggregates are never incremented. Storing a fact marks its aggregate keys dirty (in the same
transaction); a Celery task later recomputes each dirty key from all its facts and clears the mark
in one transaction. A repeated or retried task recomputes the same figures, and a reader sees
either the old or the new aggregate, never half of one.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.reporting.aggregates import pending_keys, recompute_dirty  # noqa: F401  (the use cases tasks call)
from services.reporting.facts import store_sales  # noqa: F401
from services.reporting.models import DailyProducerSales, DailySectorSales

_TABLES = {
    "producer": (DailyProducerSales, DailyProducerSales.producer_id),
    "sector": (DailySectorSales, DailySectorSales.sector),
}


def daily_report(
    *,
    session: Session,
    group_by: str,
    date_from: date,
    date_to: date,
    key: str | uuid.UUID | None = None,
    visible=sa.true(),
) -> dict:
    """Daily figures per producer or per sector (the rows `visible` lets through), with their freshness."""
    table, key_column = _TABLES[group_by]
    query = (
        sa.select(table).where(table.business_date.between(date_from, date_to), visible).order_by(table.business_date, key_column)
    )
    if key is not None:
        query = query.where(key_column == key)
    rows = session.scalars(query).all()
    watermark = session.scalar(sa.select(sa.func.max(table.watermark)).where(visible))
    return {
        "group_by": group_by,
        "date_from": date_from,
        "date_to": date_to,
        "watermark": watermark,
        "pending_keys": pending_keys(session=session, dimension=group_by),
        "rows": [
            {
                "key": str(getattr(row, key_column.key)),
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
