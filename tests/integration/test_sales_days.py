"""Day close (Z report): a selling place's day in figures; what comes after the close is a correction."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.sales.models import DayClose
from tests.support.sales import count, published, receipt_body, seed_catalogue

DAY = "2026-07-14"


@pytest.fixture
def app(make_app):
    return make_app("sales")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def shop(app):
    return seed_catalogue(app)


def sell(client, shop, lines, *, at="2026-07-14T10:30:00+02:00", method="card", **extra):
    response = client.post("/receipts", json=receipt_body(shop, lines=lines, sold_at=at, payment_method=method, **extra))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def report(client, shop, day=DAY):
    response = client.get(f"/selling-places/{shop['place']}/days/{day}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def close(client, shop, day=DAY, **body):
    return client.post(f"/selling-places/{shop['place']}/days/{day}/close", json=body)


@pytest.fixture
def trading_day(client, shop):
    """14 July in Bottega: three sales, a refund of one of them, and a sale of the night before."""
    honey = {"product_id": shop["honey"], "quantity": "2"}  # 17.00 at 10 %
    cheese = {"product_id": shop["cheese"], "quantity": "0.500"}  # 14.00 at 4 %
    carving = {"product_id": shop["carving"], "quantity": "1"}  # 45.00 at 22 %
    sales = [
        sell(client, shop, [honey, cheese], at="2026-07-14T00:30:00+02:00", method="cash", fiscal_document="0042-0001"),
        sell(client, shop, [carving], method="card", clerk="Lucia"),
        sell(client, shop, [honey], at="2026-07-14T23:59:00+02:00", method="card"),
    ]
    sell(client, shop, [carving], at="2026-07-13T23:59:00+02:00", method="other")  # the day before, in Rome
    refund = client.post(
        f"/receipts/{sales[1]['receipt_id']}/refunds",
        json={"refund_id": str(uuid.uuid4()), "refunded_at": "2026-07-14T18:00:00+02:00", "lines": [{"line_no": 1}]},
    )
    assert refund.status_code == 201
    return {"sales": sales, "refund": refund.get_json()}


def test_the_z_report_counts_and_totals_by_payment_method_and_vat_rate(client, shop, trading_day):
    body = report(client, shop)
    assert body["closed"] is False and body["closed_at"] is None
    day = body["day"]
    assert (day["receipt_count"], day["sales_total"], day["sales_vat"]) == (3, "93.00", "11.75")
    assert (day["refund_count"], day["refunds_total"], day["refunds_vat"]) == (1, "45.00", "8.11")
    assert day["net_total"] == "48.00"
    assert day["by_payment_method"] == [
        {
            "payment_method": "card",
            "receipts": 2,
            "sales_total": "62.00",
            "refunds": 1,
            "refunds_total": "45.00",
            "net_total": "17.00",
        },
        {
            "payment_method": "cash",
            "receipts": 1,
            "sales_total": "31.00",
            "refunds": 0,
            "refunds_total": "0.00",
            "net_total": "31.00",
        },
    ]
    assert day["by_vat_rate"] == [
        {"vat_rate": "4.00", "sales_gross": "14.00", "sales_vat": "0.54", "refunds_gross": "0.00", "refunds_vat": "0.00", "net_gross": "14.00", "net_vat": "0.54"},
        {"vat_rate": "10.00", "sales_gross": "34.00", "sales_vat": "3.10", "refunds_gross": "0.00", "refunds_vat": "0.00", "net_gross": "34.00", "net_vat": "3.10"},
        {"vat_rate": "22.00", "sales_gross": "45.00", "sales_vat": "8.11", "refunds_gross": "45.00", "refunds_vat": "8.11", "net_gross": "0.00", "net_vat": "0.00"},
    ]  # fmt: skip
    assert [r["receipt_id"] for r in day["receipts"]] == [s["receipt_id"] for s in trading_day["sales"]]
    assert day["receipts"][0]["fiscal_document"] == "0042-0001" and day["receipts"][1]["clerk"] == "Lucia"
    assert day["refunds"][0]["refund_id"] == trading_day["refund"]["refund_id"] and day["refunds"][0]["payment_method"] == "card"
    assert body["corrections"]["receipt_count"] == 0 and body["corrections"]["receipts"] == []


def test_closing_a_day_publishes_day_closed_once_and_later_receipts_are_corrections(app, client, shop, trading_day):
    response = close(client, shop, closed_by="Lucia")
    assert response.status_code == 201, response.get_json()
    closed = response.get_json()
    assert closed["closed"] is True and closed["closed_by"] == "Lucia" and closed["day"]["receipt_count"] == 3
    (event,) = published(app, "DayClosed")
    assert event.data["business_date"] == date(2026, 7, 14) and event.data["selling_place_id"] == uuid.UUID(shop["place"])
    assert (event.data["receipts"], event.data["total"], event.data["refunds_total"]) == (3, Decimal("93.00"), Decimal("45.00"))

    # closing again changes nothing
    again = close(client, shop)
    assert again.status_code == 200 and again.get_json() == closed
    assert len(published(app, "DayClosed")) == 1 and count(app, DayClose) == 1

    # a till that was offline sends a sale of that day, alone and in a batch: both are after-close corrections
    late = sell(client, shop, [{"product_id": shop["honey"], "quantity": "1"}], at="2026-07-14T16:00:00+02:00", method="cash")
    assert late["after_close"] is True and late["business_date"] == DAY
    batch = client.post(
        "/receipts/batch",
        json={
            "receipts": [
                receipt_body(shop, sold_at="2026-07-14T17:00:00+02:00"),
                receipt_body(shop, sold_at="2026-07-15T09:00:00+02:00"),  # the next day is still open
            ]
        },
    ).get_json()
    assert [(r["business_date"], r["after_close"]) for r in batch["results"]] == [(DAY, True), ("2026-07-15", False)]
    events = {e.data["receipt_id"]: e.data for e in published(app, "SaleRecorded")}
    assert events[uuid.UUID(late["receipt_id"])]["after_close"] is True
    assert events[uuid.UUID(batch["results"][1]["receipt_id"])]["after_close"] is False
    # and a refund on the closed day is a correction too
    refund = client.post(
        f"/receipts/{late['receipt_id']}/refunds",
        json={"refund_id": str(uuid.uuid4()), "refunded_at": "2026-07-14T20:00:00+02:00", "lines": [{"line_no": 1}]},
    ).get_json()
    assert refund["after_close"] is True

    body = report(client, shop)
    assert body["day"] == closed["day"]  # the closed figures stand as they were
    corrections = body["corrections"]
    assert (corrections["receipt_count"], corrections["sales_total"], corrections["refund_count"]) == (2, "25.50", 1)
    assert corrections["net_total"] == "17.00"
    assert {r["receipt_id"] for r in corrections["receipts"]} == {late["receipt_id"], batch["results"][0]["receipt_id"]}


def test_a_day_that_has_not_begun_cannot_be_closed_and_a_bad_date_is_refused(app, client, shop):
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=2)).date().isoformat()
    response = close(client, shop, tomorrow)
    assert response.status_code == 422 and "business_date" in response.get_json()["errors"]["path"]
    for bad in ("2026-13-01", "yesterday"):
        assert "business_date" in client.get(f"/selling-places/{shop['place']}/days/{bad}").get_json()["errors"]["path"]
        assert close(client, shop, bad).status_code == 422
    assert close(client, shop, closed_by="").status_code == 422
    assert count(app, DayClose) == 0 and published(app, "DayClosed") == []


def test_a_day_with_no_sales_closes_at_zero(client, shop):
    response = close(client, shop, "2026-07-01")
    assert response.status_code == 201
    day = response.get_json()["day"]
    assert (day["receipt_count"], day["sales_total"], day["net_total"], day["receipts"]) == (0, "0.00", "0.00", [])


def test_a_close_during_a_rush_counts_every_receipt_once_either_in_the_day_or_as_a_correction(app, shop):
    started = threading.Event()

    def till(n):
        client = app.test_client()
        ids = []
        for _ in range(15):
            body = receipt_body(shop, sold_at="2026-07-14T12:00:00+02:00", payment_method="cash")
            assert client.post("/receipts", json=body).status_code == 201
            ids.append(body["receipt_id"])
            started.set()
        return ids

    def manager():
        started.wait(10)
        return close(app.test_client(), shop).get_json()

    with ThreadPoolExecutor(max_workers=4) as pool:
        tills = [pool.submit(till, n) for n in range(3)]
        closing = pool.submit(manager)
        posted = {receipt_id for future in tills for receipt_id in future.result()}
        closed = closing.result()
    body = report(app.test_client(), shop)
    in_day = {r["receipt_id"] for r in body["day"]["receipts"]}
    corrections = {r["receipt_id"] for r in body["corrections"]["receipts"]}
    assert in_day | corrections == posted and not in_day & corrections
    assert body["day"] == closed["day"]  # nothing slipped into the closed day after its close
    (event,) = published(app, "DayClosed")
    assert event.data["receipts"] == len(in_day) and event.data["total"] == Decimal("8.50") * 2 * len(in_day)
