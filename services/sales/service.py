"""Sales' use cases: record a receipt exactly once, keep the catalogue copy current."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import insert_ignoring_conflicts, upsert, utcnow
from backbone.events import Event, new_event
from backbone.outbox import publish
from services.sales import money
from services.sales.models import (
    CatalogueProduct,
    CatalogueSellingPlace,
    Receipt,
    ReceiptLine,
)

SOURCE = "sales"
DEFAULT_TIMEZONE = "Europe/Rome"
STANDARD_VAT = Decimal(22)


class ReceiptConflict(Exception):
    """The receipt id was already used for a different sale."""


class Unpriceable(Exception):
    """A line cannot be priced; `field` says which."""

    def __init__(self, field: tuple, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _canonical(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo("UTC")).isoformat()
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return str(value) if isinstance(value, uuid.UUID) else value


def content_hash(receipt: dict) -> str:
    """A fingerprint of what the till sent, equal for equal content however it was written."""
    return hashlib.sha256(json.dumps(_canonical(receipt), sort_keys=True).encode()).hexdigest()


def record_receipt(*, session: Session, receipt: dict) -> tuple[Receipt, bool]:
    """Record a sale and its SaleRecorded event, once: the same receipt again returns the original.

    Returns the receipt and whether it was new. A line for a product sales has not heard of is
    recorded and flagged for review (the sale happened); raises ReceiptConflict if the receipt id
    was used for different content, Unpriceable if a line has neither a catalogue nor a till price.
    """
    fingerprint = content_hash(receipt)
    existing = session.get(Receipt, receipt["receipt_id"])
    if existing is not None:
        return _same_or_conflict(existing, fingerprint), False

    place = session.get(CatalogueSellingPlace, receipt["selling_place_id"])
    products = {
        p.product_id: p
        for p in session.scalars(
            sa.select(CatalogueProduct).where(CatalogueProduct.product_id.in_({line["product_id"] for line in receipt["lines"]}))
        )
    }
    lines = [_price_line(index, line, products.get(line["product_id"])) for index, line in enumerate(receipt["lines"])]
    sold_at = receipt["sold_at"]
    business_date = sold_at.astimezone(ZoneInfo(place.timezone if place else DEFAULT_TIMEZONE)).date()
    row = {
        "id": receipt["receipt_id"],
        "selling_place_id": receipt["selling_place_id"],
        "village_id": place.village_id if place else None,
        "till_id": receipt["till_id"],
        "sold_at": sold_at,
        "business_date": business_date,
        "payment_method": receipt["payment_method"],
        "total": sum((line["gross"] for line in lines), Decimal("0.00")),
        "vat_total": sum((line["vat"] for line in lines), Decimal("0.00")),
        "flagged": place is None or any(line["flagged"] for line in lines),
        "content_hash": fingerprint,
        "recorded_at": utcnow(),
    }
    inserted = insert_ignoring_conflicts(session, Receipt.__table__, [row], returning=[Receipt.id])
    if not inserted:  # a concurrent post of the same receipt committed first
        return _same_or_conflict(session.get(Receipt, receipt["receipt_id"], populate_existing=True), fingerprint), False
    session.execute(sa.insert(ReceiptLine), [{"receipt_id": row["id"], **line} for line in lines])
    publish(session, _sale_recorded(row, lines))
    return session.get(Receipt, row["id"]), True


def _same_or_conflict(existing: Receipt, fingerprint: str) -> Receipt:
    if existing.content_hash != fingerprint:
        raise ReceiptConflict("this receipt id was already used for a different sale")
    return existing


def _price_line(index: int, line: dict, product: CatalogueProduct | None) -> dict:
    unit_price = line["unit_price"] if line["unit_price"] is not None else (product.price if product else None)
    if unit_price is None:
        raise Unpriceable(
            ("lines", index, "unit_price"), "Unknown product: give the price charged, the line will be flagged for review."
        )
    gross = money.line_gross(line["quantity"], unit_price, line["discount"])
    if gross < 0:
        raise Unpriceable(("lines", index, "discount"), "The discount is larger than the line's amount.")
    # What the till printed wins; otherwise the catalogue; an unknown product without either is
    # taxed at the standard rate and flagged, so a person checks it.
    vat_rate = line["vat_rate"] if line["vat_rate"] is not None else (product.vat_rate if product else STANDARD_VAT)
    return {
        "line_no": index + 1,
        "product_id": line["product_id"],
        "producer_id": product.producer_id if product else None,
        "sector": product.sector if product else None,
        "mountain_product": product.mountain_product if product else False,
        "quantity": line["quantity"],
        "unit_price": unit_price,
        "discount": line["discount"],
        "gross": gross,
        "vat_rate": vat_rate,
        "vat": money.vat_included(gross, vat_rate),
        "flagged": product is None,
    }


def _sale_recorded(receipt: dict, lines: list[dict]) -> Event:
    return new_event(
        "SaleRecorded",
        {
            "receipt_id": receipt["id"],
            "selling_place_id": receipt["selling_place_id"],
            "village_id": receipt["village_id"],
            "till_id": receipt["till_id"],
            "sold_at": receipt["sold_at"],
            "business_date": receipt["business_date"],
            "payment_method": receipt["payment_method"],
            "total": receipt["total"],
            "vat_total": receipt["vat_total"],
            "lines": lines,
        },
        source=SOURCE,
        occurred_at=receipt["sold_at"],
        selling_place_id=receipt["selling_place_id"],
        village_id=receipt["village_id"],
    )


def get_receipt(*, session: Session, receipt_id: uuid.UUID) -> Receipt | None:
    """One receipt with its lines."""
    return session.get(Receipt, receipt_id)


# -- the catalogue copy, from inventory's events -----------------------------------------------


def find_products(*, session: Session, barcode: str | None, q: str | None, limit: int) -> list[CatalogueProduct]:
    """Products by exact barcode and/or by a part of their name."""
    query = sa.select(CatalogueProduct).order_by(CatalogueProduct.name).limit(limit)
    if barcode is not None:
        query = query.where(CatalogueProduct.barcode == barcode)
    if q is not None:
        query = query.where(CatalogueProduct.name.ilike(f"%{q}%"))
    return list(session.scalars(query))


def keep_product(*, session: Session, data: dict) -> None:
    """Store or refresh a product from ProductRegistered."""
    upsert(
        session,
        CatalogueProduct.__table__,
        {
            "product_id": data["product_id"],
            "producer_id": data["producer_id"],
            "name": data["name"],
            "sector": data["sector"],
            "unit": data["unit"],
            "price": data["price"],
            "vat_rate": data["vat_rate"],
            "mountain_product": data["mountain_product"],
            "barcode": data["barcode"],
        },
        key=("product_id",),
    )


def keep_selling_place(*, session: Session, data: dict) -> None:
    """Store or refresh a selling place from SellingPlaceRegistered."""
    upsert(
        session,
        CatalogueSellingPlace.__table__,
        {
            "selling_place_id": data["selling_place_id"],
            "village_id": data["village_id"],
            "name": data["name"],
            "timezone": data["timezone"],
        },
        key=("selling_place_id",),
    )
