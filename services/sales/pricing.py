"""Price a receipt from sales' catalogue copy, at the moment the sale happened."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from services.sales import money
from services.sales.catalogue import Catalogue
from services.sales.errors import Refused
from services.sales.models import CatalogueProduct, CatalogueSellingPlace

DEFAULT_TIMEZONE = "Europe/Rome"
STANDARD_VAT = Decimal(22)
#: the largest amount the event contract carries (and far beyond any village shop's receipt)
MAX_AMOUNT = Decimal(10) ** 10


class Unpriceable(Refused):
    """A line cannot be priced; `field` says which."""


def business_date(moment: datetime, place: CatalogueSellingPlace | None) -> date:
    """The day `moment` belongs to in the selling place's own time zone (Rome's for a shop not known yet)."""
    return moment.astimezone(ZoneInfo(place.timezone if place else DEFAULT_TIMEZONE)).date()


def price_receipt(receipt: dict, catalogue: Catalogue) -> tuple[dict, list[dict]]:
    """The receipt's row and its lines' rows, priced at the moment of sale; raises Unpriceable.

    A line for a product sales has not heard of (or has since retired) is recorded and flagged for
    review: the sale happened. The VAT is taken out of each rate's total and shared over its lines.
    """
    sold_at = receipt["sold_at"]
    place = catalogue.places.get(receipt["selling_place_id"])
    lines = [_price_line(index, line, catalogue, sold_at) for index, line in enumerate(receipt["lines"])]
    for line, vat in zip(lines, money.line_vats([(line["gross"], line["vat_rate"]) for line in lines]), strict=True):
        line["vat"] = vat
    total = sum((line["gross"] for line in lines), money.ZERO)
    if total >= MAX_AMOUNT:
        raise Unpriceable(("lines",), "The receipt's total is beyond what a till can ring up.")
    row = {
        "id": receipt["receipt_id"],
        "selling_place_id": receipt["selling_place_id"],
        "village_id": place.village_id if place else None,
        "till_id": receipt["till_id"],
        "clerk": receipt.get("clerk"),
        "sold_at": sold_at,
        "business_date": business_date(sold_at, place),
        "payment_method": receipt["payment_method"],
        "total": total,
        "vat_total": sum((line["vat"] for line in lines), money.ZERO),
        "flagged": place is None or any(line["flagged"] for line in lines),
        "fiscal_document": receipt.get("fiscal_document"),
    }
    return row, lines


def _price_line(index: int, line: dict, catalogue: Catalogue, sold_at: datetime) -> dict:
    product: CatalogueProduct | None = catalogue.products.get(line["product_id"])
    unit_price = line["unit_price"]
    if unit_price is None:
        if product is None:
            raise Unpriceable(
                ("lines", index, "unit_price"), "Unknown product: give the price charged, the line will be flagged for review."
            )
        unit_price = catalogue.price_at(product, sold_at)
    gross = money.line_gross(line["quantity"], unit_price, line["discount"])
    if gross < 0:
        raise Unpriceable(("lines", index, "discount"), "The discount is larger than the line's amount.")
    if gross >= MAX_AMOUNT:
        raise Unpriceable(("lines", index, "quantity"), "The line's amount is beyond what a till can ring up.")
    # What the till printed wins; otherwise the catalogue; an unknown product without either is
    # taxed at the standard rate and flagged, so a person checks it.
    vat_rate = line["vat_rate"] if line["vat_rate"] is not None else (product.vat_rate if product else STANDARD_VAT)
    retired = product is not None and product.retired_at is not None and sold_at >= product.retired_at
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
        "flagged": product is None or retired,
        "requires_fiscal_document": catalogue.requires_fiscal_document(product),
    }
