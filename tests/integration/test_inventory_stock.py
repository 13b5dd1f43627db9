"""Inventory's stock through its HTTP API and its consumer: every cause of a movement, alerts, queries."""

import threading
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backbone import streams
from backbone.cli import build_consumer
from backbone.events import encode
from services.inventory.models import Stock, StockMovement, UnmatchedSaleLine
from tests.support import wait_for
from tests.support.events import deliver
from tests.support.inventory import (
    error_at,
    ok,
    on_hand,
    published,
    refund,
    register_place,
    register_product,
    register_shop,
    register_village,
    restock,
    sale,
)


@pytest.fixture
def app(make_app):
    return make_app("inventory")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def shop(client):
    return register_shop(client)


def ledger(client, shop, *, place=None, product=None) -> list[dict]:
    place = place or shop["place"]
    product = product or shop["product"]
    return ok(client.get(f"/selling-places/{place['id']}/stock/{product['id']}/ledger"), 200)


def ledger_sum(client, shop, **where) -> Decimal:
    return sum((Decimal(m["quantity"]) for m in ledger(client, shop, **where)), Decimal(0))


# -- deliveries -----------------------------------------------------------------------------------


def test_a_delivery_note_of_several_lines_is_recorded_once_and_names_its_document(app, client, shop):
    honey = register_product(client, {"id": shop["producer"]["id"]}, name="Miele", unit="piece", price="8.50", vat_rate="10")
    place = shop["place"]["id"]
    body = {
        "delivery_id": str(uuid.uuid4()),
        "number": "DDT 2026/118",
        "lines": [{"product_id": shop["product"]["id"], "quantity": "4.250"}, {"product_id": honey["id"], "quantity": "12"}],
    }
    first = ok(client.post(f"/selling-places/{place}/restocks", json=body))
    assert [line["on_hand"] for line in first["lines"]] == ["4.250", "12.000"]
    assert ok(client.post(f"/selling-places/{place}/restocks", json=body), 200) == first
    other = {**body, "lines": body["lines"][:1]}
    assert error_at(client.post(f"/selling-places/{place}/restocks", json=other), "json", "delivery_id", status=409)
    restocked = published(app, "StockRestocked")
    assert [(e.data["product_id"], e.data["quantity"], e.data["delivery_id"]) for e in restocked] == [
        (uuid.UUID(shop["product"]["id"]), Decimal("4.25"), uuid.UUID(body["delivery_id"])),
        (uuid.UUID(honey["id"]), Decimal("12"), uuid.UUID(body["delivery_id"])),
    ]
    [movement] = ledger(client, shop, product=honey)
    assert (movement["cause"], movement["reference"], movement["quantity"]) == ("restock", body["delivery_id"], "12.000")


# -- adjustments ----------------------------------------------------------------------------------


def test_an_adjustment_names_its_reason_and_is_published(app, client, shop):
    restock(client, shop, "10")
    body = {
        "adjustment_id": str(uuid.uuid4()),
        "reason": "breakage",
        "note": "shelf fell",
        "lines": [{"product_id": shop["product"]["id"], "quantity": "-1.5"}],
    }
    url = f"/selling-places/{shop['place']['id']}/adjustments"
    assert ok(client.post(url, json=body))["lines"][0]["on_hand"] == "8.500"
    assert ok(client.post(url, json=body), 200)["lines"][0]["on_hand"] == "8.500"
    found = ok(client.post(url, json={"reason": "other", "lines": [{"product_id": shop["product"]["id"], "quantity": "0.5"}]}))
    assert found["lines"][0]["on_hand"] == "9.000"
    assert [(m["cause"], m["reason"], m["quantity"]) for m in ledger(client, shop)] == [
        ("restock", None, "10.000"),
        ("adjustment", "breakage", "-1.500"),
        ("adjustment", "other", "0.500"),
    ]
    breakage, other = published(app, "StockAdjusted")
    assert (breakage.data["reason"], breakage.data["quantity"], breakage.data["on_hand"], breakage.data["note"]) == (
        "breakage",
        Decimal("-1.5"),
        Decimal("8.5"),
        "shelf fell",
    )
    assert breakage.data["adjustment_id"] == uuid.UUID(body["adjustment_id"]) and other.data["reason"] == "other"


@pytest.mark.parametrize(
    "body, path",
    [
        ({"reason": "theft", "lines": [{"product_id": "P", "quantity": "1"}]}, ("lines", 0, "quantity")),
        ({"reason": "expiry", "lines": [{"product_id": "P", "quantity": "0"}]}, ("lines", 0, "quantity")),
        ({"reason": "stocktake_variance", "lines": [{"product_id": "P", "quantity": "-1"}]}, ("reason",)),
        ({"reason": "mice", "lines": [{"product_id": "P", "quantity": "-1"}]}, ("reason",)),
        ({"reason": "expiry", "lines": [{"product_id": str(uuid.uuid4()), "quantity": "-1"}]}, ("lines", 0, "product_id")),
        ({"reason": "expiry", "lines": [{"product_id": "P", "quantity": "-1.0001"}]}, ("lines", 0, "quantity")),
    ],
)
def test_a_bad_adjustment_is_refused_naming_the_field_and_writes_nothing(app, client, shop, body, path):
    restock(client, shop, "5")
    for line in body["lines"]:
        line["product_id"] = shop["product"]["id"] if line["product_id"] == "P" else line["product_id"]
    response = client.post(f"/selling-places/{shop['place']['id']}/adjustments", json=body)
    assert error_at(response, "json", *path)
    assert published(app, "StockAdjusted") == [] and on_hand(client, shop) == Decimal(5)


# -- stocktakes -----------------------------------------------------------------------------------


def test_a_stocktake_turns_each_difference_into_a_variance_movement(app, client, shop):
    honey = register_product(client, {"id": shop["producer"]["id"]}, name="Miele", unit="piece")
    restock(client, shop, "5")
    restock(client, shop, "12", product=honey)
    body = {
        "stocktake_id": str(uuid.uuid4()),
        "note": "Saturday count",
        "lines": [{"product_id": shop["product"]["id"], "counted": "4.2"}, {"product_id": honey["id"], "counted": "12"}],
    }
    url = f"/selling-places/{shop['place']['id']}/stocktakes"
    taken = ok(client.post(url, json=body))
    by_product = {line["product_id"]: line for line in taken["lines"]}
    assert by_product[shop["product"]["id"]] == {
        "product_id": shop["product"]["id"],
        "expected": "5.000",
        "counted": "4.200",
        "variance": "-0.800",
    }
    assert by_product[honey["id"]]["variance"] == "0.000"
    assert ok(client.post(url, json=body), 200) == taken
    assert ok(client.get(f"{url}/{body['stocktake_id']}"), 200) == taken
    assert (
        client.get(
            f"/selling-places/{register_place(client, shop['village'])['id']}/stocktakes/{body['stocktake_id']}"
        ).status_code
        == 404
    )
    assert [(m["cause"], m["reason"], m["quantity"], m["reference"]) for m in ledger(client, shop)][-1] == (
        "stocktake",
        "stocktake_variance",
        "-0.800",
        body["stocktake_id"],
    )
    assert [m["cause"] for m in ledger(client, shop, product=honey)] == ["restock"]  # counted right: no movement
    [adjusted] = published(app, "StockAdjusted")
    assert (adjusted.data["reason"], adjusted.data["quantity"], adjusted.data["on_hand"]) == (
        "stocktake_variance",
        Decimal("-0.8"),
        Decimal("4.2"),
    )
    assert adjusted.data["adjustment_id"] == uuid.UUID(body["stocktake_id"]) and on_hand(client, shop) == Decimal("4.2")


def test_a_stocktake_sets_negative_stock_right_and_rearms_the_alert(app, client, shop, redis_client):
    restock(client, shop, "1")
    deliver(app, redis_client, sale(shop, "3"))
    assert on_hand(client, shop) == Decimal(-2) and len(published(app, "StockDiscrepancy")) == 1
    url = f"/selling-places/{shop['place']['id']}/stocktakes"
    ok(client.post(url, json={"lines": [{"product_id": shop["product"]["id"], "counted": "6"}]}))
    assert on_hand(client, shop) == Decimal(6) == ledger_sum(client, shop)
    deliver(app, redis_client, sale(shop, "4"))
    [low] = published(app, "StockLow")  # never above the threshold before the count: armed by it
    assert low.data["on_hand"] == Decimal(2)


@pytest.mark.parametrize(
    "lines, path",
    [
        ([{"product_id": "P", "counted": "-1"}], ("lines", 0, "counted")),
        ([{"product_id": "P", "counted": "1"}, {"product_id": "P", "counted": "2"}], ("lines", 1, "product_id")),
        ([], ("lines",)),
    ],
)
def test_a_bad_stocktake_is_refused_naming_the_field(app, client, shop, lines, path):
    for line in lines:
        line["product_id"] = shop["product"]["id"]
    response = client.post(f"/selling-places/{shop['place']['id']}/stocktakes", json={"lines": lines})
    assert error_at(response, "json", *path)
    assert published(app, "StockAdjusted") == []


# -- transfers ------------------------------------------------------------------------------------


def test_a_transfer_moves_a_producers_goods_to_another_selling_place(app, client, shop):
    morbegno = register_place(client, register_village(client, "Morbegno"), "Punto vendita Morbegno")
    restock(client, shop, "10")
    body = {
        "transfer_id": str(uuid.uuid4()),
        "to_selling_place_id": morbegno["id"],
        "lines": [{"product_id": shop["product"]["id"], "quantity": "4"}],
    }
    url = f"/selling-places/{shop['place']['id']}/transfers"
    moved = ok(client.post(url, json=body))
    assert moved["lines"] == [
        {"product_id": shop["product"]["id"], "quantity": "4.000", "on_hand_from": "6.000", "on_hand_to": "4.000"}
    ]
    assert ok(client.post(url, json=body), 200) == moved
    assert on_hand(client, shop) == Decimal(6) and on_hand(client, shop, place=morbegno) == Decimal(4)
    assert [(m["cause"], m["quantity"], m["reference"]) for m in ledger(client, shop)][-1] == (
        "transfer_out",
        "-4.000",
        body["transfer_id"],
    )
    assert [(m["cause"], m["quantity"], m["reference"]) for m in ledger(client, shop, place=morbegno)] == [
        ("transfer_in", "4.000", body["transfer_id"])
    ]
    [event] = published(app, "StockTransferred")
    assert event.data["from_selling_place_id"] == uuid.UUID(shop["place"]["id"])
    assert event.data["to_selling_place_id"] == uuid.UUID(morbegno["id"])
    assert (event.data["quantity"], event.data["on_hand_from"], event.data["on_hand_to"]) == (Decimal(4), Decimal(6), Decimal(4))


def test_goods_moved_beyond_the_ledger_leave_a_discrepancy_at_the_sender(app, client, shop):
    morbegno = register_place(client, shop["village"], "Morbegno")
    restock(client, shop, "1")
    body = {"to_selling_place_id": morbegno["id"], "lines": [{"product_id": shop["product"]["id"], "quantity": "3"}]}
    ok(client.post(f"/selling-places/{shop['place']['id']}/transfers", json=body))
    assert on_hand(client, shop) == Decimal(-2) and on_hand(client, shop, place=morbegno) == Decimal(3)
    [discrepancy] = published(app, "StockDiscrepancy")
    assert discrepancy.data["selling_place_id"] == uuid.UUID(shop["place"]["id"])


@pytest.mark.parametrize(
    "to, quantity, path",
    [
        ("SELF", "1", ("to_selling_place_id",)),
        (str(uuid.uuid4()), "1", ("to_selling_place_id",)),
        ("OTHER", "-1", ("lines", 0, "quantity")),
        ("OTHER", "0", ("lines", 0, "quantity")),
    ],
)
def test_a_bad_transfer_is_refused_naming_the_field(app, client, shop, to, quantity, path):
    other = register_place(client, shop["village"], "Altro")
    to = {"SELF": shop["place"]["id"], "OTHER": other["id"]}.get(to, to)
    body = {"to_selling_place_id": to, "lines": [{"product_id": shop["product"]["id"], "quantity": quantity}]}
    assert error_at(client.post(f"/selling-places/{shop['place']['id']}/transfers", json=body), "json", *path)
    assert published(app, "StockTransferred") == []


# -- sales and refunds ----------------------------------------------------------------------------


def test_goods_given_back_to_the_shelf_return_to_its_stock_once(app, client, shop, redis_client):
    restock(client, shop, "5")
    sold = sale(shop, "3")
    deliver(app, redis_client, sold)
    given_back = refund(sold, "2")
    deliver(app, redis_client, given_back, given_back, refund(sold, "1", returned_to_shelf=False))
    assert on_hand(client, shop) == Decimal(4) == ledger_sum(client, shop)
    movement = ledger(client, shop)[-1]
    assert (movement["cause"], movement["quantity"]) == ("refund", "2.000")
    assert movement["reference"] == str(given_back.data["refund_id"]) and movement["event_id"] == str(given_back.event_id)
    assert ledger(client, shop)[1]["event_id"] == str(sold.event_id)
    assert ledger(client, shop)[1]["occurred_at"] == sold.data["sold_at"].isoformat()


def test_a_refund_of_a_product_inventory_does_not_know_is_kept_for_review(app, client, shop, redis_client):
    stranger = sale(shop, "1", product={"id": str(uuid.uuid4()), "producer_id": str(uuid.uuid4())})
    deliver(app, redis_client, stranger, refund(stranger, "1"))
    with app.extensions["db"].transaction() as session:
        kept = session.scalars(sa.select(UnmatchedSaleLine).order_by(UnmatchedSaleLine.kind)).all()
    assert [(line.kind, line.quantity) for line in kept] == [("refund", Decimal(1)), ("sale", Decimal(1))]


def test_a_threshold_crossed_twice_without_a_restock_alerts_once(app, client, shop, redis_client):
    restock(client, shop, "5")  # threshold 2
    sold = sale(shop, "3")
    deliver(app, redis_client, sold)  # 5 -> 2: low
    deliver(app, redis_client, refund(sold, "0.5"), sale(shop, "0.5"))  # 2.5 (still not above... it is: see below)
    assert on_hand(client, shop) == Decimal(2)
    low = published(app, "StockLow")
    # 2.5 is above the threshold: the refund re-armed it, and the sale back to 2 is a second crossing
    assert [e.data["crossing"] for e in low] == [1, 2]
    deliver(app, redis_client, sale(shop, "0.5"), sale(shop, "0.5"), refund(sold, "0.5"), sale(shop, "0.2"))
    assert on_hand(client, shop) == Decimal("1.3")
    assert len(published(app, "StockLow")) == 2  # crossed again below 2 without rising above it: no new alert


def test_a_restock_above_the_threshold_rearms_the_alert(app, client, shop, redis_client):
    restock(client, shop, "3")
    deliver(app, redis_client, sale(shop, "1"))
    restock(client, shop, "1")  # 3: above the threshold again
    deliver(app, redis_client, sale(shop, "1"), sale(shop, "1"))
    low = published(app, "StockLow")
    assert [(e.data["crossing"], e.data["on_hand"], e.data["reason"]) for e in low] == [
        (1, Decimal(2), "threshold"),
        (2, Decimal(2), "threshold"),
    ]
    assert low[0].data["suggested_quantity"] == Decimal(2)  # twice the threshold without a target level


# -- days of cover --------------------------------------------------------------------------------


def _history(shop, days: int) -> list:
    """One piece sold each day for the last `days` days."""
    now = datetime.now(timezone.utc)
    return [sale(shop, "1", sold_at=now - timedelta(days=day)) for day in range(days, 0, -1)]


def test_days_of_cover_alert_before_the_threshold_when_the_producer_needs_longer(app, client, redis_client):
    shop = register_shop(client, threshold="2", lead_time_days=5, unit="piece")
    url = f"/selling-places/{shop['place']['id']}/stock/{shop['product']['id']}"
    restock(client, shop, "20")
    ok(client.put(url, json={"reorder_threshold": "2", "target_level": "20"}), 200)
    deliver(app, redis_client, *_history(shop, 14))  # a piece a day for two weeks: 6 left, six days of cover
    assert on_hand(client, shop) == Decimal(6) and published(app, "StockLow") == []
    deliver(app, redis_client, sale(shop, "1"))  # 5 left at 15 in 14 days: 4.7 days, under the 5 days of lead time
    [low] = published(app, "StockLow")
    assert low.data["reason"] == "days_of_cover" and low.data["on_hand"] == Decimal(5) > low.data["threshold"]
    assert low.data["days_of_cover"] == Decimal("4.7") and low.data["suggested_quantity"] == Decimal(15)
    stock = ok(client.get(url), 200)
    assert stock["low"] and stock["low_reason"] == "days_of_cover" and stock["days_of_cover"] == "4.700"
    deliver(app, redis_client, sale(shop, "1"), sale(shop, "1"), sale(shop, "1"))  # through the threshold: same episode
    assert len(published(app, "StockLow")) == 1
    restock(client, shop, "18")  # 20 pieces: 20 days of cover, above the threshold: armed again
    assert not ok(client.get(url), 200)["low"]


def test_without_a_long_lead_time_the_same_history_alerts_only_at_the_threshold(app, client, redis_client):
    shop = register_shop(client, threshold="2", lead_time_days=1, unit="piece")
    restock(client, shop, "20")
    deliver(app, redis_client, *_history(shop, 14), sale(shop, "1"), sale(shop, "1"), sale(shop, "1"))
    assert published(app, "StockLow") == []  # 3 left: three days of cover, more than one day of lead time
    deliver(app, redis_client, sale(shop, "1"))
    [low] = published(app, "StockLow")
    assert (low.data["reason"], low.data["on_hand"]) == ("threshold", Decimal(2))
    assert low.data["suggested_quantity"] == Decimal(2)  # up to twice the threshold, more than two days of sales


def test_a_first_busy_morning_is_not_read_as_a_trend(app, client, redis_client):
    shop = register_shop(client, threshold="1", lead_time_days=3, unit="piece")
    restock(client, shop, "10")
    deliver(app, redis_client, *[sale(shop, "1") for _ in range(5)])  # 5 today: at least 7 days of history assumed
    assert published(app, "StockLow") == []
    assert ok(client.get(f"/selling-places/{shop['place']['id']}/stock/{shop['product']['id']}"), 200)["days_of_cover"] == "7.000"


# -- queries --------------------------------------------------------------------------------------


def test_a_producer_sees_where_their_goods_are(app, client, shop, redis_client):
    morbegno = register_place(client, register_village(client, "Morbegno"), "Punto vendita Morbegno")
    honey = register_product(client, {"id": shop["producer"]["id"]}, name="Miele", unit="piece", price="8.50", vat_rate="10")
    other = register_shop(client)  # another producer's goods do not show
    restock(client, shop, "3.5")
    restock(client, shop, "12", product=honey, place=morbegno)
    restock(client, other, "9")
    rows = ok(client.get(f"/producers/{shop['producer']['id']}/stock"), 200)
    assert [(r["product_name"], r["selling_place_name"], r["village_name"], r["on_hand"], r["value"]) for r in rows] == [
        ("Bitto", "Bottega", "Dazio", "3.500", "98.00"),
        ("Miele", "Punto vendita Morbegno", "Morbegno", "12.000", "102.00"),
    ]
    assert client.get(f"/producers/{uuid.uuid4()}/stock").status_code == 404


def test_the_stock_of_a_selling_place_lists_every_product_with_its_producer(client, shop):
    restock(client, shop, "3")
    [line] = ok(client.get(f"/selling-places/{shop['place']['id']}/stock"), 200)
    assert (line["product_id"], line["producer_id"], line["on_hand"], line["unit"]) == (
        shop["product"]["id"],
        shop["producer"]["id"],
        "3.000",
        "kg",
    )
    assert line["daily_sales"] is None and line["days_of_cover"] is None and line["low"] is False


def test_a_threshold_needs_a_known_product_and_a_non_negative_level(client, shop):
    url = f"/selling-places/{shop['place']['id']}/stock"
    assert error_at(client.put(f"{url}/{shop['product']['id']}", json={"reorder_threshold": "-1"}), "json", "reorder_threshold")
    assert client.put(f"{url}/{uuid.uuid4()}", json={"reorder_threshold": "1"}).status_code == 404


# -- the ledger under concurrency -----------------------------------------------------------------


def test_concurrent_sales_deliveries_transfers_and_adjustments_keep_stock_equal_to_the_ledger(app, client, redis_client):
    """Two products at two places, changed from every side at once: no deadlock, no lost update."""
    shop = register_shop(client)
    honey = register_product(client, {"id": shop["producer"]["id"]}, name="Miele", unit="piece")
    morbegno = register_place(client, shop["village"], "Morbegno")
    places, products = [shop["place"], morbegno], [shop["product"], honey]
    key = streams.stream_key(app.config["STREAM_PREFIX"], "sales")
    for n in range(60):
        event = sale(shop, "1", place=places[n % 2], product=products[n // 2 % 2])
        redis_client.xadd(key, {"type": event.type, "event": encode(event)})
    consumers = [build_consumer(app) for _ in range(2)]
    for n, consumer in enumerate(consumers):
        consumer.name, consumer.batch_size = f"inventory-{n}", 4
        consumer.setup()
    failures = []

    def call(path, body):
        response = app.test_client().post(path, json=body)
        if response.status_code != 201:
            failures.append((path, response.status_code, response.get_json()))

    def both(quantity):
        return [{"product_id": p["id"], "quantity": quantity} for p in products]

    def deliveries(place):
        for _ in range(10):
            call(f"/selling-places/{place['id']}/restocks", {"lines": both("2")})

    def transfers(source, destination):
        # lines in opposite orders from each side: locks are taken in key order, whatever the request says
        lines = both("1") if source is places[0] else list(reversed(both("1")))
        for _ in range(10):
            call(f"/selling-places/{source['id']}/transfers", {"to_selling_place_id": destination["id"], "lines": lines})

    def breakages(place):
        for _ in range(5):
            call(f"/selling-places/{place['id']}/adjustments", {"reason": "breakage", "lines": both("-1")})

    def consume(consumer):
        while consumer.poll():
            pass

    threads = [threading.Thread(target=consume, args=(c,)) for c in consumers]
    threads += [threading.Thread(target=deliveries, args=(p,)) for p in places]
    threads += [threading.Thread(target=transfers, args=pair) for pair in ((places[0], places[1]), (places[1], places[0]))]
    threads += [threading.Thread(target=breakages, args=(p,)) for p in places]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with app.extensions["db"].transaction() as session:
        stocks = {(s.selling_place_id, s.product_id): s.on_hand for s in session.scalars(sa.select(Stock))}
        grouped = session.execute(
            sa.select(StockMovement.selling_place_id, StockMovement.product_id, sa.func.sum(StockMovement.quantity)).group_by(
                StockMovement.selling_place_id, StockMovement.product_id
            )
        ).all()
    sums = {(place_id, product_id): total for place_id, product_id, total in grouped}
    assert len(stocks) == 4
    for key_, quantity in stocks.items():
        assert quantity == sums[key_]
        # per place and product: 20 delivered, 15 sold, 5 broken; transfers in and out cancel out
        assert quantity == Decimal(0)


def test_a_request_the_database_picks_as_a_deadlock_victim_runs_again(app, client):
    """Another transaction locks stock out of key order (as no use case does): the delivery is retried, not lost."""
    shop = register_shop(client)
    honey = register_product(client, {"id": shop["producer"]["id"]}, name="Miele", unit="piece")
    first, second = sorted([shop["product"], honey], key=lambda p: uuid.UUID(p["id"]))
    restock(client, shop, "1", product=first)
    restock(client, shop, "1", product=second)
    place = shop["place"]["id"]

    def lock(connection, product):
        connection.execute(
            sa.select(Stock.on_hand)
            .where(Stock.selling_place_id == uuid.UUID(place), Stock.product_id == uuid.UUID(product["id"]))
            .with_for_update()
        )

    def waiting() -> int:
        # a connection of its own each time: pg_stat_activity is a snapshot taken once per transaction
        with app.extensions["db"].engine.connect() as observer:
            query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            return observer.execute(sa.text(query)).scalar()

    responses = []
    with app.extensions["db"].engine.connect() as other:
        with other.begin():
            lock(other, second)
            delivery = threading.Thread(
                target=lambda: responses.append(
                    app.test_client().post(
                        f"/selling-places/{place}/restocks",
                        json={"lines": [{"product_id": p["id"], "quantity": "2"} for p in (first, second)]},
                    )
                )
            )
            delivery.start()
            wait_for(lambda: waiting() == 1, timeout=10, message="the delivery to wait for the second row")
            lock(other, first)  # a cycle: the delivery, waiting longer, is chosen as the victim
        delivery.join(timeout=30)
    assert [r.status_code for r in responses] == [201]
    for product in (first, second):
        assert on_hand(client, shop, product=product) == Decimal(3) == ledger_sum(client, shop, product=product)
