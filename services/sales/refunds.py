"""Refunds and voids against a recorded receipt: never more than was sold, each recorded exactly once.

The receipt is locked (SELECT ... FOR UPDATE) while a refund of it is checked and written, so two
refunds posted at once cannot both take the same goods back. Amounts are pro rata of the sold
line and rounded on the cumulative quantity, so the refund that gives back the last of a line
gives back exactly what is left of its amount.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import utcnow
from backbone.events import Event, new_event
from backbone.outbox import publish
from services.sales import days, money
from services.sales.errors import Conflict, NotFound, Refused
from services.sales.fingerprints import content_hash
from services.sales.models import CatalogueSellingPlace, Receipt, ReceiptLine, Refund, RefundLine
from services.sales.pricing import business_date

SOURCE = "sales"


class RefundConflict(Conflict):
    """The refund id was already used for a different refund."""

    def __init__(self):
        super().__init__(("refund_id",), "Already used for a different refund.")


@dataclass(frozen=True)
class Refunded:
    """How much of a receipt line has been given back so far."""

    quantity: Decimal = Decimal(0)
    gross: Decimal = money.ZERO
    vat: Decimal = money.ZERO


def refund_receipt(*, session: Session, receipt_id: uuid.UUID, refund: dict) -> tuple[Refund, bool]:
    """Give back (part of) a sale, or void it, and publish SaleRefunded, once; returns the refund and whether it was new.

    Raises NotFound for an unknown receipt, RefundConflict if the refund id was used for something
    else, Refused (naming the field) for a line that is not on the receipt or a quantity larger
    than what is left to refund.
    """
    fingerprint = content_hash({**refund, "receipt_id": receipt_id})
    receipt = session.get(Receipt, receipt_id, with_for_update=True, populate_existing=True)
    if receipt is None:
        raise NotFound("No such receipt.")
    # read after the lock: a concurrent post of the same refund has committed by now
    existing = session.get(Refund, refund["refund_id"], populate_existing=True)
    if existing is not None:
        if existing.content_hash != fingerprint or existing.receipt_id != receipt_id:
            raise RefundConflict()
        return existing, False

    refunded_at = refund["refunded_at"].astimezone(timezone.utc) if "refunded_at" in refund else utcnow()
    if refunded_at < receipt.sold_at:
        raise Refused(("refunded_at",), "A refund cannot come before the sale it gives back.")
    lines = _refund_lines(receipt, refund, _refunded_so_far(session, receipt_id))
    place = session.get(CatalogueSellingPlace, receipt.selling_place_id)
    day = business_date(refunded_at, place)
    closed = days.record_into(session, {(receipt.selling_place_id, day)})
    row = Refund(
        id=refund["refund_id"],
        receipt_id=receipt_id,
        selling_place_id=receipt.selling_place_id,
        village_id=receipt.village_id,
        kind=refund["kind"],
        reason=refund.get("reason"),
        till_id=refund.get("till_id"),
        clerk=refund.get("clerk"),
        refunded_at=refunded_at,
        business_date=day,
        sale_business_date=receipt.business_date,
        total=sum((line["gross"] for line in lines), money.ZERO),
        vat_total=sum((line["vat"] for line in lines), money.ZERO),
        after_close=(receipt.selling_place_id, day) in closed,
        content_hash=fingerprint,
        recorded_at=utcnow(),
    )
    session.add(row)
    session.flush()
    session.execute(sa.insert(RefundLine), [{"refund_id": row.id, **line} for line in lines])
    publish(session, _sale_refunded(row, lines))
    session.refresh(row, attribute_names=["lines"])
    return row, True


def _refunded_so_far(session: Session, receipt_id: uuid.UUID) -> dict[int, Refunded]:
    rows = session.execute(
        sa.select(
            RefundLine.line_no, sa.func.sum(RefundLine.quantity), sa.func.sum(RefundLine.gross), sa.func.sum(RefundLine.vat)
        )
        .join(Refund, Refund.id == RefundLine.refund_id)
        .where(Refund.receipt_id == receipt_id)
        .group_by(RefundLine.line_no)
    )
    return {line_no: Refunded(quantity, gross, vat) for line_no, quantity, gross, vat in rows}


def _refund_lines(receipt: Receipt, refund: dict, refunded: dict[int, Refunded]) -> list[dict]:
    sold = {line.line_no: line for line in receipt.lines}
    if refund["kind"] == "void":
        wanted = [(None, line.line_no, None, True) for line in receipt.lines if _left(line, refunded) > 0]
        if not wanted:
            raise Refused(("kind",), "Nothing is left to void: this sale was already given back in full.")
    else:
        wanted = [
            (index, line["line_no"], line.get("quantity"), line["returned_to_shelf"])
            for index, line in enumerate(refund["lines"])
        ]
    lines = []
    for index, line_no, quantity, returned_to_shelf in wanted:
        line = sold.get(line_no)
        if line is None:
            raise Refused(("lines", index, "line_no"), f"The receipt has no line {line_no}.")
        left = _left(line, refunded)
        quantity = left if quantity is None else quantity
        if left == 0:
            raise Refused(("lines", index, "quantity"), f"Line {line_no} was already given back in full.")
        if quantity > left:
            raise Refused(
                ("lines", index, "quantity"),
                f"Cannot refund {quantity} of line {line_no}: {line.quantity} sold, only {left} left to refund.",
            )
        lines.append(_pro_rata(line, quantity, refunded.get(line_no, Refunded()), returned_to_shelf))
    return lines


def _left(line: ReceiptLine, refunded: dict[int, Refunded]) -> Decimal:
    return line.quantity - refunded.get(line.line_no, Refunded()).quantity


def _pro_rata(line: ReceiptLine, quantity: Decimal, before: Refunded, returned_to_shelf: bool) -> dict:
    # Rounded on the running total, so the refunds of a line add up to its amount exactly.
    after = before.quantity + quantity
    return {
        "line_no": line.line_no,
        "product_id": line.product_id,
        "producer_id": line.producer_id,
        "sector": line.sector,
        "mountain_product": line.mountain_product,
        "quantity": quantity,
        "gross": money.pro_rata(line.gross, after, line.quantity) - before.gross,
        "vat_rate": line.vat_rate,
        "vat": money.pro_rata(line.vat, after, line.quantity) - before.vat,
        "returned_to_shelf": returned_to_shelf,
    }


def _sale_refunded(refund: Refund, lines: list[dict]) -> Event:
    return new_event(
        "SaleRefunded",
        {
            "refund_id": refund.id,
            "receipt_id": refund.receipt_id,
            "selling_place_id": refund.selling_place_id,
            "village_id": refund.village_id,
            "kind": refund.kind,
            "reason": refund.reason,
            "refunded_at": refund.refunded_at,
            "business_date": refund.business_date,
            "sale_business_date": refund.sale_business_date,
            "total": refund.total,
            "vat_total": refund.vat_total,
            "lines": lines,
        },
        source=SOURCE,
        occurred_at=refund.refunded_at,
        selling_place_id=refund.selling_place_id,
        village_id=refund.village_id,
    )


def get_refund(*, session: Session, refund_id: uuid.UUID) -> Refund | None:
    """One refund with its lines."""
    return session.get(Refund, refund_id)


def refunds_of(*, session: Session, receipt_id: uuid.UUID) -> list[Refund]:
    """The refunds of a receipt, oldest first."""
    return list(
        session.scalars(sa.select(Refund).where(Refund.receipt_id == receipt_id).order_by(Refund.refunded_at, Refund.recorded_at))
    )
