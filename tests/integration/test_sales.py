"""Sales through its HTTP API: receipts recorded exactly once, priced from its catalogue copy."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backbone.events import decode
from backbone.outbox import outbox
from services.sales import catalogue as sales_catalogue
from services.sales.models import Receipt


@pytest.fixture
def app(make_app):
    return make_app("sales")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def catalogue(app):
    """A selling place in Rome's time zone and two products, as if inventory's events had arrived."""
    place, honey, cheese = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with app.extensions["db"].transaction() as session:
        sales_catalogue.keep_selling_place(
            session=session,
            data={"selling_place_id": place, "village_id": uuid.uuid4(), "name": "Bottega", "timezone": "Europe/Rome"},
        )
        for product_id, name, price, vat in ((honey, "Miele", "8.50", "10"), (cheese, "Bitto", "28.00", "4")):
            sales_catalogue.keep_product(
                session=session,
                data={
                    "product_id": product_id,
                    "producer_id": uuid.uuid4(),
                    "name": name,
                    "sector": "agri-food",
                    "unit": "piece" if name == "Miele" else "kg",
                    "price": Decimal(price),
                    "vat_rate": Decimal(vat),
                    "mountain_product": True,
                    "barcode": None,
                },
            )
    return {"place": str(place), "honey": str(honey), "cheese": str(cheese)}


def receipt(catalogue, **overrides):
    body = {
        "receipt_id": str(uuid.uuid4()),
        "selling_place_id": catalogue["place"],
        "till_id": "till-1",
        "sold_at": "2026-07-14T10:30:00+02:00",
        "payment_method": "card",
        "lines": [{"product_id": catalogue["honey"], "quantity": "2"}, {"product_id": catalogue["cheese"], "quantity": "0.333"}],
    }
    body.update(overrides)
    return body


def _sale_events(app):
    with app.extensions["db"].transaction() as session:
        payloads = session.scalars(sa.select(outbox.c.payload).where(outbox.c.type == "SaleRecorded")).all()
    return [decode(p) for p in payloads]


def test_a_receipt_is_priced_from_the_catalogue_and_published(app, client, catalogue):
    response = client.post("/receipts", json=receipt(catalogue))
    assert response.status_code == 201
    body = response.get_json()
    assert [line["gross"] for line in body["lines"]] == ["17.00", "9.32"]
    assert body["total"] == "26.32" and body["vat_total"] == str(Decimal("1.55") + Decimal("0.36"))
    (event,) = _sale_events(app)
    assert event.data["receipt_id"] == uuid.UUID(body["receipt_id"]) and event.data["total"] == Decimal("26.32")
    assert event.occurred_at == datetime(2026, 7, 14, 8, 30, tzinfo=timezone.utc)


def test_the_same_receipt_posted_again_returns_the_original_and_records_nothing(app, client, catalogue):
    body = receipt(catalogue)
    first = client.post("/receipts", json=body)
    again = client.post("/receipts", json={**body, "sold_at": "2026-07-14T08:30:00Z"})  # same instant, other offset
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert len(_sale_events(app)) == 1


def test_the_same_receipt_id_with_other_content_is_a_conflict(client, catalogue):
    body = receipt(catalogue)
    assert client.post("/receipts", json=body).status_code == 201
    response = client.post("/receipts", json={**body, "payment_method": "cash"})
    assert response.status_code == 409 and "receipt_id" in response.get_json()["errors"]["json"]


def test_the_same_receipt_posted_five_times_at_once_is_one_sale(app, catalogue):
    body = receipt(catalogue)
    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = sorted(pool.map(lambda _: app.test_client().post("/receipts", json=body).status_code, range(5)))
    assert statuses == [200, 200, 200, 200, 201]
    assert len(_sale_events(app)) == 1


def test_a_late_sale_lands_on_the_day_it_happened_in_the_shops_time_zone(client, catalogue):
    late = receipt(catalogue, sold_at="2026-03-31T22:30:00+00:00")  # already 1 April in Rome
    assert client.post("/receipts", json=late).get_json()["business_date"] == "2026-04-01"


def test_a_product_sales_has_not_heard_of_is_recorded_and_flagged_not_dropped(app, client, catalogue):
    unknown = str(uuid.uuid4())
    body = receipt(catalogue, lines=[{"product_id": unknown, "quantity": "1", "unit_price": "5.00", "vat_rate": "10"}])
    response = client.post("/receipts", json=body)
    assert response.status_code == 201
    line = response.get_json()["lines"][0]
    assert line["flagged"] and line["producer_id"] is None and line["gross"] == "5.00"
    assert response.get_json()["flagged"]
    assert _sale_events(app)[0].data["lines"][0]["flagged"]


@pytest.mark.parametrize(
    "change, path",
    [
        ({"lines": [{"product_id": "UNKNOWN", "quantity": "1"}]}, ("lines", "0", "unit_price")),
        ({"lines": [{"product_id": "HONEY", "quantity": "-1"}]}, ("lines", "0", "quantity")),
        ({"lines": [{"product_id": "HONEY", "quantity": "1", "discount": "9.00"}]}, ("lines", "0", "discount")),
        ({"lines": [{"product_id": "HONEY", "quantity": "1.0001"}]}, ("lines", "0", "quantity")),
        ({"payment_method": "barter"}, ("payment_method",)),
        ({"sold_at": "2026-07-14T10:30:00"}, ("sold_at",)),
        ({"sold_at": (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()}, ("sold_at",)),
        ({"sold_at": "1999-01-01T00:00:00+00:00"}, ("sold_at",)),
        ({"receipt_id": "not-a-uuid"}, ("receipt_id",)),
        ({"clerk_mood": "happy"}, ("clerk_mood",)),
    ],
)
def test_a_bad_receipt_is_refused_naming_the_field_and_writes_nothing(app, client, catalogue, change, path):
    body = receipt(catalogue, **change)
    for line in body["lines"]:
        line["product_id"] = {"UNKNOWN": str(uuid.uuid4()), "HONEY": catalogue["honey"]}.get(
            line["product_id"], line["product_id"]
        )
    response = client.post("/receipts", json=body)
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]["json"]
    for part in path:
        errors = errors[part]
    assert errors
    with app.extensions["db"].transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 0
    assert _sale_events(app) == []


def test_numbers_are_read_exactly_nan_is_refused_by_name_and_malformed_json_is_a_400(client, catalogue):
    body = receipt(catalogue, lines=[{"product_id": catalogue["honey"], "quantity": 3, "unit_price": 0.1}])
    assert client.post("/receipts", json=body).get_json()["total"] == "0.30"
    raw = '{"receipt_id": "%s", "lines": [{"quantity": NaN}]}' % uuid.uuid4()
    response = client.post("/receipts", data=raw, content_type="application/json")
    assert response.status_code == 422
    assert "NaN" in response.get_json()["errors"]["json"]["lines"]["0"]["quantity"][0]
    for text in ("{not json", b"\xff\xfe"):
        response = client.post("/receipts", data=text, content_type="application/json")
        assert response.status_code == 400 and response.get_json()["errors"]["json"] == ["Invalid JSON body."]


def test_the_tills_find_products_by_barcode_or_name(client, catalogue):
    found = client.get("/products", query_string={"q": "mie"}).get_json()
    assert [p["name"] for p in found] == ["Miele"]
    assert client.get(f"/products/{catalogue['cheese']}").get_json()["price"] == "28.00"
    assert client.get(f"/products/{uuid.uuid4()}").status_code == 404
