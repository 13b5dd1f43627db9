"""Sales test helpers: a catalogue as if inventory's events had arrived, receipts as a till sends them."""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa

from backbone.events import Event, decode
from backbone.outbox import outbox


def seed_catalogue(app, *, timezone: str = "Europe/Rome", tax_regime: str = "ordinary") -> dict:
    """A selling place, a farm producer and a woodcarver, with honey (10 %), cheese by the kg (4 %) and a carving (22 %)."""
    from services.sales import catalogue

    ids = {name: uuid.uuid4() for name in ("place", "village", "farmer", "carver", "honey", "cheese", "carving")}
    with app.extensions["db"].transaction() as session:
        catalogue.keep_selling_place(
            session=session,
            data={"selling_place_id": ids["place"], "village_id": ids["village"], "name": "Bottega", "timezone": timezone},
        )
        for producer, sector, regime in (("farmer", "agri-food", tax_regime), ("carver", "handicraft", "ordinary")):
            catalogue.keep_producer(
                session=session,
                data={"producer_id": ids[producer], "revision": 1, "name": producer, "sector": sector, "tax_regime": regime},
            )
        for product, producer, sector, unit, price, vat in (
            ("honey", "farmer", "agri-food", "piece", "8.50", "10"),
            ("cheese", "farmer", "agri-food", "kg", "28.00", "4"),
            ("carving", "carver", "handicraft", "piece", "45.00", "22"),
        ):
            catalogue.keep_product(
                session=session,
                data={
                    "product_id": ids[product],
                    "producer_id": ids[producer],
                    "name": product,
                    "sector": sector,
                    "unit": unit,
                    "price": Decimal(price),
                    "vat_rate": Decimal(vat),
                    "mountain_product": True,
                    "barcode": None,
                },
            )
    return {name: str(value) for name, value in ids.items()}


def receipt_body(shop: dict, *, lines: list[dict] | None = None, **overrides) -> dict:
    """A receipt as a till posts it: two jars of honey paid by card, sold on 14 July 2026 in the morning."""
    body = {
        "receipt_id": str(uuid.uuid4()),
        "selling_place_id": shop["place"],
        "till_id": "till-1",
        "sold_at": "2026-07-14T10:30:00+02:00",
        "payment_method": "card",
        "lines": lines if lines is not None else [{"product_id": shop["honey"], "quantity": "2"}],
    }
    body.update(overrides)
    return body


def published(app, type_: str) -> list[Event]:
    """The events of one type sales has put in its outbox, oldest first."""
    with app.extensions["db"].transaction() as session:
        payloads = session.scalars(sa.select(outbox.c.payload).where(outbox.c.type == type_).order_by(outbox.c.id)).all()
    return [decode(payload) for payload in payloads]


def count(app, model) -> int:
    """How many rows a sales table holds."""
    with app.extensions["db"].transaction() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))
