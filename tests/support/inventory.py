"""Helpers for inventory's tests: a small network registered through the API, its outbox, sales events."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa

from backbone.events import Event, decode, new_event
from backbone.outbox import outbox
from tests.support.events import sale_recorded

#: real check digits: a partita IVA and a SEPA IBAN that pass their checks
VAT_NUMBER = "00743110157"
IBAN = "IT60X0542811101000000123456"


def ok(response, status=201):
    """The JSON body of a response that must have `status`."""
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def error_at(response, *path, status=422) -> list[str]:
    """The messages a 4xx response gives for the field at `path` (in the request body unless told)."""
    assert response.status_code == status, (response.status_code, response.get_json())
    errors = response.get_json()["errors"]
    for part in path:
        errors = errors[str(part)]
    assert errors, response.get_json()
    return errors


def published(app, *types: str) -> list[Event]:
    """The events in the app's outbox, oldest first, optionally of some types only."""
    with app.extensions["db"].transaction() as session:
        rows = session.execute(sa.select(outbox.c.payload).order_by(outbox.c.id)).scalars().all()
    events = [decode(payload) for payload in rows]
    return [e for e in events if not types or e.type in types]


def register_village(client, name="Dazio", istat_code=None) -> dict:
    istat_code = istat_code or f"{uuid.uuid4().int % 10**6:06d}"
    return ok(client.post("/villages", json={"name": name, "istat_code": istat_code, "province": "SO", "population": 347}))


def register_place(client, village, name="Bottega") -> dict:
    return ok(client.post("/selling-places", json={"village_id": village["id"], "name": name, "commission_rate": "15"}))


def register_producer(client, **fields) -> dict:
    return ok(client.post("/producers", json={"name": "Caseificio Val Gerola", "sector": "agri-food", **fields}))


def register_product(client, producer, **fields) -> dict:
    body = {"producer_id": producer["id"], "name": "Bitto", "unit": "kg", "price": "28.00", "vat_rate": "4", **fields}
    return ok(client.post("/products", json=body))


def register_shop(client, *, threshold="2", lead_time_days=3, unit="kg") -> dict:
    """A village with a selling place, a producer and one product."""
    village = register_village(client)
    place = register_place(client, village)
    producer = register_producer(client, home_village_id=village["id"], lead_time_days=lead_time_days)
    product = register_product(client, producer, reorder_threshold=threshold, unit=unit)
    return {"village": village, "place": place, "producer": producer, "product": product}


def restock(client, shop, quantity, *, place=None, product=None, status=201, **fields) -> dict:
    place = place or shop["place"]
    product = product or shop["product"]
    body = {"lines": [{"product_id": product["id"], "quantity": quantity}], **fields}
    return ok(client.post(f"/selling-places/{place['id']}/restocks", json=body), status=status)


def on_hand(client, shop, *, place=None, product=None) -> Decimal:
    place = place or shop["place"]
    product = product or shop["product"]
    return Decimal(ok(client.get(f"/selling-places/{place['id']}/stock/{product['id']}"), status=200)["on_hand"])


def sale(shop, quantity, *, sold_at: datetime | None = None, place=None, product=None) -> Event:
    """A SaleRecorded of one line of the shop's product, as sales publishes it."""
    place = place or shop["place"]
    product = product or shop["product"]
    event = sale_recorded(quantity=str(quantity), selling_place_id=uuid.UUID(place["id"]))
    data = event.data
    data["lines"][0]["product_id"] = uuid.UUID(product["id"])
    data["lines"][0]["producer_id"] = uuid.UUID(product["producer_id"])
    if sold_at is not None:
        data["sold_at"] = sold_at
        data["business_date"] = sold_at.date()
    return event


def refund(sold: Event, quantity, *, returned_to_shelf=True) -> Event:
    """A SaleRefunded giving back `quantity` of the first line of a sale."""
    line = sold.data["lines"][0]
    now = datetime.now(timezone.utc)
    return new_event(
        "SaleRefunded",
        {
            "refund_id": uuid.uuid4(),
            "receipt_id": sold.data["receipt_id"],
            "selling_place_id": sold.data["selling_place_id"],
            "village_id": sold.data["village_id"],
            "kind": "refund",
            "refunded_at": now,
            "business_date": now.date(),
            "sale_business_date": sold.data["business_date"],
            "total": line["gross"],
            "vat_total": line["vat"],
            "lines": [
                {
                    "line_no": line["line_no"],
                    "product_id": line["product_id"],
                    "producer_id": line["producer_id"],
                    "sector": line["sector"],
                    "mountain_product": line["mountain_product"],
                    "quantity": Decimal(quantity),
                    "gross": line["gross"],
                    "vat_rate": line["vat_rate"],
                    "vat": line["vat"],
                    "returned_to_shelf": returned_to_shelf,
                }
            ],
        },
        source="sales",
        selling_place_id=sold.data["selling_place_id"],
    )
