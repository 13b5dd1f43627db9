"""Sales' catalogue copy from inventory's events: prices in force when the sale happened, producers' tax regimes."""

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from backbone.events import new_event
from tests.support.events import deliver
from tests.support.sales import published, receipt_body


@pytest.fixture
def app(make_app):
    return make_app("sales")


@pytest.fixture
def client(app):
    return app.test_client()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def event(type_: str, occurred_at: datetime | None = None, **data):
    return new_event(type_, data, source="inventory", occurred_at=occurred_at)


def producer(producer_id, *, revision: int, tax_regime: str, updated: bool = True):
    return event(
        "ProducerUpdated" if updated else "ProducerRegistered",
        producer_id=producer_id,
        revision=revision,
        name="Azienda agricola Del Curto",
        sector="agri-food",
        language="it",
        contacts={},
        tax_regime=tax_regime,
    )


def product(product_id, producer_id, *, sector="agri-food", price="8.50", vat="10"):
    return event(
        "ProductRegistered",
        product_id=product_id,
        producer_id=producer_id,
        name=f"Prodotto {str(product_id)[:4]}",
        sector=sector,
        unit="piece",
        price=Decimal(price),
        vat_rate=Decimal(vat),
        mountain_product=True,
        reorder_threshold=Decimal("3"),
    )


def price_changed(product_id, producer_id, price, previous, effective_from):
    return event(
        "PriceChanged",
        product_id=product_id,
        producer_id=producer_id,
        price=Decimal(price),
        previous_price=Decimal(previous),
        effective_from=effective_from,
    )


@pytest.fixture
def shop(app, redis_client):
    ids = {name: uuid.uuid4() for name in ("place", "village", "farmer", "honey", "basket")}
    deliver(
        app,
        redis_client,
        event(
            "SellingPlaceRegistered",
            selling_place_id=ids["place"],
            village_id=ids["village"],
            name="Bottega di Dazio",
            timezone="Europe/Rome",
            commission_rate=Decimal("15"),
        ),
        producer(ids["farmer"], revision=1, tax_regime="agricultural_special", updated=False),
        product(ids["honey"], ids["farmer"]),
        product(ids["basket"], ids["farmer"], sector="handicraft", price="30.00", vat="22"),
    )
    return {name: str(value) for name, value in ids.items()}


def sold(client, shop, product_key, sold_at, **extra):
    body = receipt_body(shop, lines=[{"product_id": shop[product_key], "quantity": "1"}], sold_at=sold_at, **extra)
    response = client.post("/receipts", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_sale_is_charged_the_price_in_force_when_it_happened(app, client, redis_client, shop):
    # given the honey goes from 8.50 to 9.00 on 10 July, and (announced already) to 9.50 next month
    honey, farmer = uuid.UUID(shop["honey"]), uuid.UUID(shop["farmer"])
    next_month = datetime.now(timezone.utc) + timedelta(days=30)
    deliver(
        app,
        redis_client,
        price_changed(honey, farmer, "9.50", "9.00", next_month),  # out of order: the later one first
        price_changed(honey, farmer, "9.00", "8.50", at("2026-07-10T00:00:00+02:00")),
    )
    # then a sale of 9 July posted late is charged the old price, one of 10 July the new one
    assert sold(client, shop, "honey", "2026-07-09T23:59:59+02:00")["total"] == "8.50"
    assert sold(client, shop, "honey", "2026-07-10T00:00:00+02:00")["total"] == "9.00"
    # and the tills see today's price, not next month's
    assert client.get(f"/products/{shop['honey']}").get_json()["price"] == "9.00"
    assert sold(client, shop, "honey", datetime.now(timezone.utc).isoformat())["total"] == "9.00"


def test_whether_a_line_needs_a_fiscal_document_follows_the_producers_latest_tax_regime(app, client, redis_client, shop):
    # a farmer under the special agricultural regime selling their own honey issues no fiscal document
    farm = sold(client, shop, "honey", "2026-07-14T10:00:00+02:00", fiscal_document="0001-0042")
    assert farm["lines"][0]["requires_fiscal_document"] is False and farm["fiscal_document"] == "0001-0042"
    # ... but does for a basket they wove (not a farm product)
    assert sold(client, shop, "basket", "2026-07-14T10:05:00+02:00")["lines"][0]["requires_fiscal_document"] is True

    farmer = uuid.UUID(shop["farmer"])
    # the producer moves to the ordinary regime (revision 3); a stale revision 2 arrives after it and is ignored
    deliver(
        app,
        redis_client,
        producer(farmer, revision=3, tax_regime="ordinary"),
        producer(farmer, revision=2, tax_regime="agricultural_special"),
    )
    assert sold(client, shop, "honey", "2026-07-14T11:00:00+02:00")["lines"][0]["requires_fiscal_document"] is True

    events = {e.data["receipt_id"]: e.data for e in published(app, "SaleRecorded")}
    first = events[uuid.UUID(farm["receipt_id"])]
    assert first["fiscal_document"] == "0001-0042" and first["lines"][0]["requires_fiscal_document"] is False


def test_a_retired_product_leaves_the_tills_and_a_later_sale_of_it_is_flagged(app, client, redis_client, shop):
    retired_at = datetime.now(timezone.utc) - timedelta(hours=1)
    deliver(
        app,
        redis_client,
        event("ProductRetired", retired_at, product_id=uuid.UUID(shop["basket"]), producer_id=uuid.UUID(shop["farmer"])),
    )
    assert [p["name"] for p in client.get("/products").get_json()] == [
        client.get(f"/products/{shop['honey']}").get_json()["name"]
    ]
    shown = client.get("/products", query_string={"include_retired": "true"}).get_json()
    assert sorted(p["retired"] for p in shown) == [False, True]
    before = sold(client, shop, "basket", (retired_at - timedelta(minutes=5)).isoformat())
    after = sold(client, shop, "basket", (retired_at + timedelta(minutes=5)).isoformat())
    assert (before["flagged"], after["flagged"]) == (False, True)
    assert after["total"] == "30.00"  # still recorded at its last price: the sale happened


def test_a_price_change_heard_before_its_product_still_applies(app, client, redis_client):
    place, farmer, cheese = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    deliver(app, redis_client, price_changed(cheese, farmer, "30.00", "28.00", at("2026-07-01T00:00:00+02:00")))
    deliver(app, redis_client, product(cheese, farmer, price="28.00", vat="4"))
    shop = {"place": str(place), "cheese": str(cheese)}
    assert sold(client, shop, "cheese", "2026-06-30T12:00:00+02:00")["total"] == "28.00"
    assert sold(client, shop, "cheese", "2026-07-02T12:00:00+02:00")["total"] == "30.00"
