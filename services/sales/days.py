"""A selling place's business days: receipts and refunds land on them, the manager closes them (Z report).

Every write into a day takes that day's lock shared, the close takes it exclusively (PostgreSQL
advisory locks, held to the end of the transaction). So the close waits for the receipts already
on their way and counts them, and a receipt that comes after it sees the day closed and is
recorded as a correction: none falls in between. (SQLite, the local default, runs one writer at a
time and refuses a write based on a stale read, which gives the same guarantee.)
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import utcnow
from backbone.events import new_event
from backbone.outbox import publish
from services.sales.errors import Refused
from services.sales.models import CatalogueSellingPlace, DayClose, Receipt, ReceiptLine, Refund, RefundLine
from services.sales.pricing import business_date as day_of
from services.sales.zreport import Section

SOURCE = "sales"

Day = tuple[uuid.UUID, date]


def _lock_key(day: Day) -> int:
    digest = hashlib.blake2b(f"sales-day:{day[0]}:{day[1].isoformat()}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _hold(session: Session, days: Iterable[Day], *, exclusive: bool) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    keys = sorted({_lock_key(day) for day in days})
    session.execute(sa.text(f"SELECT {function}(key) FROM unnest(CAST(:keys AS bigint[])) AS key"), {"keys": keys})


def record_into(session: Session, days: set[Day]) -> set[Day]:
    """Hold the days some receipts or refunds land on against a close; returns those already closed."""
    if not days:
        return set()
    _hold(session, days, exclusive=False)
    rows = session.execute(
        sa.select(DayClose.selling_place_id, DayClose.business_date).where(
            sa.tuple_(DayClose.selling_place_id, DayClose.business_date).in_(list(days))
        )
    )
    return {(row.selling_place_id, row.business_date) for row in rows}


def close_day(*, session: Session, selling_place_id: uuid.UUID, business_date: date, closed_by: str | None) -> tuple[dict, bool]:
    """Close a business day (Z report) and publish DayClosed, once; returns the report and whether it was new.

    Receipts of the day recorded later are marked `after_close` and reported as corrections.
    """
    place = session.get(CatalogueSellingPlace, selling_place_id)
    if business_date > day_of(utcnow(), place):
        raise Refused(("business_date",), "This day has not begun yet at the selling place: it cannot be closed.")
    _hold(session, [(selling_place_id, business_date)], exclusive=True)
    if session.get(DayClose, (selling_place_id, business_date), populate_existing=True) is not None:
        return day_report(session=session, selling_place_id=selling_place_id, business_date=business_date), False
    figures = day_report(session=session, selling_place_id=selling_place_id, business_date=business_date)["day"]
    closed = DayClose(
        selling_place_id=selling_place_id,
        business_date=business_date,
        closed_at=utcnow(),
        closed_by=closed_by,
        receipts=figures["receipt_count"],
        total=figures["sales_total"],
        vat_total=figures["sales_vat"],
        refunds=figures["refund_count"],
        refunds_total=figures["refunds_total"],
    )
    session.add(closed)
    session.flush()
    publish(
        session,
        new_event(
            "DayClosed",
            {
                "selling_place_id": selling_place_id,
                "business_date": business_date,
                "closed_at": closed.closed_at,
                "receipts": closed.receipts,
                "total": closed.total,
                "refunds_total": closed.refunds_total,
            },
            source=SOURCE,
            occurred_at=closed.closed_at,
            selling_place_id=selling_place_id,
            village_id=place.village_id if place else None,
        ),
    )
    return day_report(session=session, selling_place_id=selling_place_id, business_date=business_date), True


def day_report(*, session: Session, selling_place_id: uuid.UUID, business_date: date) -> dict:
    """The Z report of a day: its figures and receipts, and apart, the corrections recorded after its close."""
    closed = session.get(DayClose, (selling_place_id, business_date))
    sections = {False: Section(), True: Section()}  # by after_close
    in_day = (Receipt.selling_place_id == selling_place_id, Receipt.business_date == business_date)
    for receipt in session.execute(
        sa.select(
            Receipt.id.label("receipt_id"),
            Receipt.sold_at,
            Receipt.till_id,
            Receipt.clerk,
            Receipt.payment_method,
            Receipt.total,
            Receipt.vat_total,
            Receipt.fiscal_document,
            Receipt.flagged,
            Receipt.after_close,
        )
        .where(*in_day)
        .order_by(Receipt.sold_at, Receipt.id)
    ):
        sections[receipt.after_close].add_receipt(receipt._asdict())
    for row in session.execute(
        sa.select(Receipt.after_close, ReceiptLine.vat_rate, sa.func.sum(ReceiptLine.gross), sa.func.sum(ReceiptLine.vat))
        .join(ReceiptLine, ReceiptLine.receipt_id == Receipt.id)
        .where(*in_day)
        .group_by(Receipt.after_close, ReceiptLine.vat_rate)
    ):
        sections[row[0]].add_sales_vat(row[1], row[2], row[3])

    refunds_in_day = (Refund.selling_place_id == selling_place_id, Refund.business_date == business_date)
    for refund in session.execute(
        sa.select(
            Refund.id.label("refund_id"),
            Refund.receipt_id,
            Refund.kind,
            Refund.reason,
            Refund.refunded_at,
            Refund.total,
            Refund.vat_total,
            Refund.sale_business_date,
            Refund.after_close,
            Receipt.payment_method,
        )
        .join(Receipt, Receipt.id == Refund.receipt_id)
        .where(*refunds_in_day)
        .order_by(Refund.refunded_at, Refund.recorded_at)
    ):
        sections[refund.after_close].add_refund(refund._asdict())
    for row in session.execute(
        sa.select(Refund.after_close, RefundLine.vat_rate, sa.func.sum(RefundLine.gross), sa.func.sum(RefundLine.vat))
        .join(RefundLine, RefundLine.refund_id == Refund.id)
        .where(*refunds_in_day)
        .group_by(Refund.after_close, RefundLine.vat_rate)
    ):
        sections[row[0]].add_refund_vat(row[1], row[2], row[3])

    return {
        "selling_place_id": selling_place_id,
        "business_date": business_date,
        "closed": closed is not None,
        "closed_at": closed.closed_at if closed else None,
        "closed_by": closed.closed_by if closed else None,
        "day": sections[False].as_dict(),
        "corrections": sections[True].as_dict(),
    }
