"""Catalogue and stock events for the notification tests, valid by the contract."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

from backbone.events import Event, new_event


def producer_registered(*, language: str = "it", revision: int = 1, producer_id=None, name="Apicoltura Bianchi", **contacts):
    """A ProducerRegistered (or, with revision > 1, a ProducerUpdated) with the given contacts."""
    return new_event(
        "ProducerRegistered" if revision == 1 else "ProducerUpdated",
        {
            "producer_id": producer_id or uuid.uuid4(),
            "revision": revision,
            "name": name,
            "sector": "agri-food",
            "home_village_id": None,
            "language": language,
            "contacts": {
                "email": contacts.get("email"),
                "phone": contacts.get("phone"),
                "webhook_url": contacts.get("webhook_url"),
                "telegram_chat_id": contacts.get("telegram_chat_id"),
            },
        },
        source="inventory",
    )


def selling_place_registered(name: str = "Bottega di Dazio") -> Event:
    return new_event(
        "SellingPlaceRegistered",
        {
            "selling_place_id": uuid.uuid4(),
            "village_id": uuid.uuid4(),
            "name": name,
            "timezone": "Europe/Rome",
            "commission_rate": Decimal("15"),
        },
        source="inventory",
    )


def product_registered(producer_id, name: str = "Miele di castagno") -> Event:
    return new_event(
        "ProductRegistered",
        {
            "product_id": uuid.uuid4(),
            "producer_id": producer_id,
            "name": name,
            "sector": "agri-food",
            "unit": "piece",
            "price": Decimal("8.50"),
            "vat_rate": Decimal("10"),
            "mountain_product": True,
            "reorder_threshold": Decimal("3"),
        },
        source="inventory",
    )


def stock_low(producer_id, *, selling_place_id=None, product_id=None, crossing: int = 1, on_hand="2", days_of_cover="1.5"):
    return new_event(
        "StockLow",
        {
            "selling_place_id": selling_place_id or uuid.uuid4(),
            "product_id": product_id or uuid.uuid4(),
            "producer_id": producer_id,
            "on_hand": Decimal(on_hand),
            "threshold": Decimal("3"),
            "crossing": crossing,
            "suggested_quantity": Decimal("4"),
            "reason": "threshold",
            "days_of_cover": Decimal(days_of_cover) if days_of_cover is not None else None,
        },
        source="inventory",
    )


def stock_restocked(producer_id, *, selling_place_id, product_id, quantity="10", on_hand="12") -> Event:
    return new_event(
        "StockRestocked",
        {
            "selling_place_id": selling_place_id,
            "product_id": product_id,
            "producer_id": producer_id,
            "on_hand": Decimal(on_hand),
            "delivery_id": uuid.uuid4(),
            "quantity": Decimal(quantity),
        },
        source="inventory",
    )


def stock_discrepancy(producer_id, *, selling_place_id, product_id=None) -> Event:
    return new_event(
        "StockDiscrepancy",
        {
            "selling_place_id": selling_place_id,
            "product_id": product_id or uuid.uuid4(),
            "producer_id": producer_id,
            "on_hand": Decimal("-1"),
        },
        source="inventory",
    )


def sale(*, producer_id, selling_place_id, product_id, business_date: date, quantity: str, gross: str) -> Event:
    """A SaleRecorded of one line on `business_date`."""
    sold_at = datetime(business_date.year, business_date.month, business_date.day, 10, 30, tzinfo=timezone.utc)
    return new_event(
        "SaleRecorded",
        {
            "receipt_id": uuid.uuid4(),
            "selling_place_id": selling_place_id,
            "village_id": None,
            "till_id": "till-1",
            "sold_at": sold_at,
            "business_date": business_date,
            "payment_method": "cash",
            "total": Decimal(gross),
            "vat_total": Decimal("0.00"),
            "lines": [
                {
                    "line_no": 1,
                    "product_id": product_id,
                    "producer_id": producer_id,
                    "sector": "agri-food",
                    "mountain_product": True,
                    "quantity": Decimal(quantity),
                    "unit_price": Decimal(gross),
                    "discount": Decimal("0.00"),
                    "gross": Decimal(gross),
                    "vat_rate": Decimal("10"),
                    "vat": Decimal("0.00"),
                    "flagged": False,
                }
            ],
        },
        source="sales",
        occurred_at=sold_at,
        selling_place_id=selling_place_id,
    )
