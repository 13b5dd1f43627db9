"""Inventory through its HTTP API and its consumer, on real PostgreSQL."""

import json
import threading
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backbone import streams
from backbone.cli import build_consumer
from backbone.events import decode, encode
from backbone.outbox import outbox
from services.inventory.models import Stock, StockMovement
from tests.support.events import deliver, sale_recorded


@pytest.fixture
def app(make_app):
    return make_app("inventory")


@pytest.fixture
def client(app):
    return app.test_client()


def ok(response, status=201):
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def shop(client):
    village = ok(client.post("/villages", json={"name": "Dazio", "istat_code": "014025", "province": "SO", "population": 347}))
    place = ok(client.post("/selling-places", json={"village_id": village["id"], "name": "Bottega", "commission_rate": "15"}))
    producer = ok(client.post("/producers", json={"name": "Caseificio", "sector": "agri-food"}))
    product = ok(
        client.post(
            "/products",
            json={
                "producer_id": producer["id"],
                "name": "Bitto",
                "unit": "kg",
                "price": "28.00",
                "vat_rate": "4",
                "reorder_threshold": "2",
            },
        )
    )
    return {"village": village, "place": place, "producer": producer, "product": product}


def _events(app, type_=None):
    with app.extensions["db"].transaction() as session:
        rows = session.execute(sa.select(outbox.c.payload).order_by(outbox.c.id)).scalars().all()
    events = [decode(payload) for payload in rows]
    return [e for e in events if type_ is None or e.type == type_]


def test_registering_the_catalogue_publishes_an_event_per_change(app, shop):
    types = [e.type for e in _events(app)]
    assert types == ["VillageRegistered", "SellingPlaceRegistered", "ProducerRegistered", "ProductRegistered"]
    product = _events(app, "ProductRegistered")[0]
    assert product.data["price"] == Decimal("28.00") and product.data["sector"] == "agri-food"


def test_a_restock_is_a_ledger_line_and_the_same_delivery_twice_counts_once(app, client, shop):
    place, product = shop["place"]["id"], shop["product"]["id"]
    body = {"delivery_id": str(uuid.uuid4()), "lines": [{"product_id": product, "quantity": "4.500"}]}
    first = ok(client.post(f"/selling-places/{place}/restocks", json=body))
    again = ok(client.post(f"/selling-places/{place}/restocks", json=body), status=200)
    assert first["lines"][0]["on_hand"] == again["lines"][0]["on_hand"] == "4.500"
    ledger = ok(client.get(f"/selling-places/{place}/stock/{product}/ledger"), status=200)
    assert [(m["cause"], m["quantity"]) for m in ledger] == [("restock", "4.500")]
    assert len(_events(app, "StockRestocked")) == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"lines": [{"product_id": "PRODUCT", "quantity": "-1"}]}, ("lines", "0", "quantity")),
        ({"lines": [{"product_id": "PRODUCT", "quantity": "0"}]}, ("lines", "0", "quantity")),
        ({"lines": [{"product_id": str(uuid.uuid4()), "quantity": "1"}]}, ("lines", "0", "product_id")),
        ({"lines": [{"product_id": "PRODUCT", "quantity": "1", "colour": "red"}]}, ("lines", "0", "colour")),
        ({"lines": []}, ("lines",)),
        ({}, ("lines",)),
    ],
)
def test_a_bad_restock_is_refused_naming_the_field_and_writes_nothing(app, client, shop, body, field):
    body = json.loads(json.dumps(body).replace("PRODUCT", shop["product"]["id"]))
    response = client.post(f"/selling-places/{shop['place']['id']}/restocks", json=body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    for part in field:
        errors = errors[part]
    assert errors
    assert _events(app, "StockRestocked") == []


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"barcode": "8001234567890"}, "barcode", "check digit"),
        ({"price": "8.505"}, "price", "At most 2 decimal places."),
        ({"price": "0"}, "price", "greater than or equal to 0.01"),
        ({"vat_rate": "21"}, "vat_rate", "VAT rate must be 4, 5, 10 or 22."),
        ({"unit": "bag"}, "unit", "Must be one of"),
        ({"sector": "mining"}, "sector", "Unknown sector"),
        ({"producer_id": str(uuid.uuid4())}, "producer_id", "Unknown producer."),
    ],
)
def test_a_bad_product_is_refused_naming_the_field(client, shop, change, field, message):
    body = {"producer_id": shop["producer"]["id"], "name": "Casera", "price": "16.50", "vat_rate": "4", **change}
    response = client.post("/products", json=body)
    assert response.status_code == 422
    assert message in " ".join(response.get_json()["errors"]["json"][field])


def test_a_barcode_used_twice_is_a_conflict(client, shop):
    body = {"producer_id": shop["producer"]["id"], "name": "Miele", "price": "8.50", "vat_rate": "10", "barcode": "8001234567897"}
    ok(client.post("/products", json=body))
    response = client.post("/products", json={**body, "name": "Altro miele"})
    assert response.status_code == 409 and "barcode" in response.get_json()["errors"]["json"]


def _sale_for(shop, quantity):
    event = sale_recorded(quantity=quantity, selling_place_id=uuid.UUID(shop["place"]["id"]))
    event.data["lines"][0]["product_id"] = uuid.UUID(shop["product"]["id"])
    event.data["lines"][0]["producer_id"] = uuid.UUID(shop["producer"]["id"])
    return event


def test_a_sale_lowers_the_stock_and_crossing_the_threshold_alerts_once(app, client, shop, redis_client):
    place, product = shop["place"]["id"], shop["product"]["id"]
    ok(client.post(f"/selling-places/{place}/restocks", json={"lines": [{"product_id": product, "quantity": "5"}]}))
    deliver(app, redis_client, _sale_for(shop, "3"), _sale_for(shop, "0.5"))
    stock = ok(client.get(f"/selling-places/{place}/stock/{product}"), status=200)
    assert stock["on_hand"] == "1.500"
    low = _events(app, "StockLow")
    assert len(low) == 1 and low[0].data["crossing"] == 1 and low[0].data["on_hand"] == Decimal("2")
    assert low[0].data["producer_id"] == uuid.UUID(shop["producer"]["id"])


def test_a_sale_beyond_the_stock_is_recorded_and_raises_a_discrepancy(app, client, shop, redis_client):
    place, product = shop["place"]["id"], shop["product"]["id"]
    ok(client.post(f"/selling-places/{place}/restocks", json={"lines": [{"product_id": product, "quantity": "1"}]}))
    deliver(app, redis_client, _sale_for(shop, "3"))
    assert ok(client.get(f"/selling-places/{place}/stock/{product}"), status=200)["on_hand"] == "-2.000"
    assert [e.type for e in _events(app) if e.type.startswith("Stock") and e.type != "StockRestocked"] == [
        "StockOut",
        "StockDiscrepancy",
    ]


def test_concurrent_sales_and_restocks_leave_stock_equal_to_the_ledger(app, client, shop, redis_client):
    place, product = shop["place"]["id"], shop["product"]["id"]
    sales = [_sale_for(shop, "1") for _ in range(60)]
    key = streams.stream_key(app.config["STREAM_PREFIX"], "sales")
    for event in sales:
        redis_client.xadd(key, {"type": event.type, "event": encode(event)})
    consumers = [build_consumer(app) for _ in range(3)]
    for n, consumer in enumerate(consumers):
        consumer.name = f"inventory-{n}"
        consumer.batch_size = 5
        consumer.setup()

    def consume(consumer):
        while consumer.poll():
            pass

    def deliver():
        for _ in range(20):
            ok(
                app.test_client().post(
                    f"/selling-places/{place}/restocks", json={"lines": [{"product_id": product, "quantity": "2"}]}
                )
            )

    threads = [threading.Thread(target=consume, args=(c,)) for c in consumers] + [threading.Thread(target=deliver)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.extensions["db"].transaction() as session:
        stock = session.get(Stock, (uuid.UUID(place), uuid.UUID(product)))
        ledger = session.scalar(
            sa.select(sa.func.sum(StockMovement.quantity)).where(StockMovement.product_id == uuid.UUID(product))
        )
    assert stock.on_hand == ledger == Decimal("-20")  # 40 delivered, 60 sold


def test_unknown_ids_in_the_path_answer_404_in_json(client, shop):
    response = client.get(f"/selling-places/{uuid.uuid4()}/stock")
    assert response.status_code == 404 and response.get_json()["message"] == "No such selling place."
    assert client.get("/products/not-a-uuid").status_code == 404
