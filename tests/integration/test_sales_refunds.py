"""Refunds and voids: against the original receipt and lines, never more than was sold, each recorded once."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from services.sales.models import Refund, RefundLine
from tests.support.sales import count, published, receipt_body, seed_catalogue


@pytest.fixture
def app(make_app):
    return make_app("sales")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def shop(app):
    return seed_catalogue(app)


@pytest.fixture
def sale(client, shop):
    """Three jars of honey at 10 euro for the three (10 %) and 0.750 kg of cheese (4 %), paid by card."""
    body = receipt_body(
        shop,
        lines=[
            {"product_id": shop["honey"], "quantity": "3", "unit_price": "3.50", "discount": "0.50"},
            {"product_id": shop["cheese"], "quantity": "0.750"},
        ],
    )
    response = client.post("/receipts", json=body)
    assert response.status_code == 201
    return response.get_json()


def refund(client, sale, **body):
    body.setdefault("refund_id", str(uuid.uuid4()))
    body.setdefault("refunded_at", "2026-07-15T09:00:00+02:00")
    return client.post(f"/receipts/{sale['receipt_id']}/refunds", json=body)


def test_a_partial_refund_gives_back_its_share_and_publishes_sale_refunded(app, client, sale):
    assert [line["gross"] for line in sale["lines"]] == ["10.00", "21.00"]
    response = refund(client, sale, lines=[{"line_no": 1, "quantity": "1"}], reason="cracked jar")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["total"] == "3.33" and body["lines"][0]["gross"] == "3.33" and body["lines"][0]["vat"] == "0.30"
    assert body["business_date"] == "2026-07-15" and body["sale_business_date"] == "2026-07-14"
    assert body["lines"][0]["returned_to_shelf"] is True and body["kind"] == "refund"
    (event,) = published(app, "SaleRefunded")
    assert event.data["refund_id"] == uuid.UUID(body["refund_id"]) and event.data["receipt_id"] == uuid.UUID(sale["receipt_id"])
    assert event.data["selling_place_id"] == uuid.UUID(sale["selling_place_id"])
    (line,) = event.data["lines"]
    assert (line["line_no"], line["quantity"], line["gross"], line["returned_to_shelf"]) == (
        1,
        Decimal("1"),
        Decimal("3.33"),
        True,
    )
    assert line["producer_id"] == uuid.UUID(sale["lines"][0]["producer_id"])


def test_refunds_of_a_line_in_thirds_give_back_exactly_what_was_paid(client, sale):
    given_back = [refund(client, sale, lines=[{"line_no": 1, "quantity": "1"}]).get_json() for _ in range(3)]
    assert [body["total"] for body in given_back] == ["3.33", "3.34", "3.33"]
    assert sum(Decimal(body["lines"][0]["vat"]) for body in given_back) == Decimal(sale["lines"][0]["vat"])
    # and nothing is left
    response = refund(client, sale, lines=[{"line_no": 1, "quantity": "0.001"}])
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {"lines": {"0": {"quantity": ["Line 1 was already given back in full."]}}}


def test_a_refund_larger_than_the_sale_is_refused_with_a_clear_error(client, sale):
    response = refund(client, sale, lines=[{"line_no": 2, "quantity": "0.751"}])
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {
        "lines": {"0": {"quantity": ["Cannot refund 0.751 of line 2: 0.750 sold, only 0.750 left to refund."]}}
    }
    # cumulatively too: after 0.500 kg came back, only 0.250 kg can
    assert refund(client, sale, lines=[{"line_no": 2, "quantity": "0.500"}]).status_code == 201
    response = refund(client, sale, lines=[{"line_no": 2, "quantity": "0.300"}])
    assert response.status_code == 422 and "only 0.250 left" in response.get_json()["errors"]["json"]["lines"]["0"]["quantity"][0]
    last = refund(client, sale, lines=[{"line_no": 2}]).get_json()  # the rest of the line
    assert last["lines"][0]["quantity"] == "0.250" and Decimal(last["total"]) + Decimal("14.00") == Decimal("21.00")


def test_concurrent_refunds_never_give_back_more_than_was_sold(app, sale):
    def attempt(_):
        return refund(app.test_client(), sale, lines=[{"line_no": 1, "quantity": "2"}]).status_code

    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = sorted(pool.map(attempt, range(5)))
    assert statuses == [201, 422, 422, 422, 422]
    assert count(app, Refund) == 1 and len(published(app, "SaleRefunded")) == 1


def test_the_same_refund_posted_again_returns_the_original_and_at_once_is_one_refund(app, client, sale):
    refund_id = str(uuid.uuid4())
    body = {"refund_id": refund_id, "refunded_at": "2026-07-15T09:00:00+02:00", "lines": [{"line_no": 1, "quantity": "1"}]}

    with ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(
            pool.map(lambda _: app.test_client().post(f"/receipts/{sale['receipt_id']}/refunds", json=body), range(5))
        )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({str(r.get_json()) for r in responses}) == 1
    assert count(app, Refund) == 1 and count(app, RefundLine) == 1 and len(published(app, "SaleRefunded")) == 1
    # the same id for other content is a conflict
    response = refund(client, sale, refund_id=refund_id, lines=[{"line_no": 1, "quantity": "2"}])
    assert response.status_code == 409 and "refund_id" in response.get_json()["errors"]["json"]


def test_a_void_gives_back_what_is_left_of_every_line(app, client, sale):
    assert refund(client, sale, lines=[{"line_no": 1, "quantity": "1", "returned_to_shelf": False}]).status_code == 201
    response = refund(client, sale, kind="void", reason="wrong receipt")
    assert response.status_code == 201, response.get_json()
    void = response.get_json()
    assert [(line["line_no"], line["quantity"], line["gross"]) for line in void["lines"]] == [
        (1, "2.000", "6.67"),
        (2, "0.750", "21.00"),
    ]
    assert void["total"] == "27.67" and void["kind"] == "void"
    assert Decimal(void["total"]) + Decimal("3.33") == Decimal(sale["total"])
    refunds = client.get(f"/receipts/{sale['receipt_id']}/refunds").get_json()
    assert [r["kind"] for r in refunds] == ["refund", "void"]
    assert client.get(f"/refunds/{void['refund_id']}").get_json() == void
    again = refund(client, sale, kind="void")
    assert again.status_code == 422 and "kind" in again.get_json()["errors"]["json"]
    assert [e.data["kind"] for e in published(app, "SaleRefunded")] == ["refund", "void"]


@pytest.mark.parametrize(
    "body, path",
    [
        ({"lines": [{"line_no": 3}]}, ("lines", "0", "line_no")),
        ({"lines": [{"line_no": 1}, {"line_no": 1}]}, ("lines", "1", "line_no")),
        ({"lines": [{"line_no": 1, "quantity": "0"}]}, ("lines", "0", "quantity")),
        ({"lines": [{"line_no": 1, "quantity": "1.0001"}]}, ("lines", "0", "quantity")),
        ({}, ("lines",)),
        ({"kind": "void", "lines": [{"line_no": 1}]}, ("lines",)),
        ({"kind": "gift", "lines": [{"line_no": 1}]}, ("kind",)),
        ({"refunded_at": "2026-07-14T08:00:00+02:00", "lines": [{"line_no": 1}]}, ("refunded_at",)),
        ({"refund_id": "nope", "lines": [{"line_no": 1}]}, ("refund_id",)),
    ],
)
def test_a_bad_refund_is_refused_naming_the_field_and_writes_nothing(app, client, sale, body, path):
    response = refund(client, sale, **body)
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]["json"]
    for part in path:
        errors = errors[part]
    assert errors
    assert count(app, Refund) == 0 and published(app, "SaleRefunded") == []


def test_a_refund_of_an_unknown_receipt_is_a_404(client, shop):
    response = client.post(f"/receipts/{uuid.uuid4()}/refunds", json={"refund_id": str(uuid.uuid4()), "lines": [{"line_no": 1}]})
    assert response.status_code == 404
    assert client.get(f"/receipts/{uuid.uuid4()}/refunds").status_code == 404
    assert client.get(f"/refunds/{uuid.uuid4()}").status_code == 404
