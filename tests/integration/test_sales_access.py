"""Sales' tenant isolation: a till records and sees only its own selling place's sales."""

import uuid

import pytest
import sqlalchemy as sa

from services.sales import catalogue as sales_catalogue
from services.sales.models import Receipt
from tests.integration.test_sales import receipt


@pytest.fixture
def app(make_app):
    return make_app("sales")


@pytest.fixture
def network(app):
    """Two villages, a selling place in each, one product."""
    dazio, morbegno = uuid.uuid4(), uuid.uuid4()
    a, b, honey = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with app.extensions["db"].transaction() as session:
        for place, village in ((a, dazio), (b, morbegno)):
            sales_catalogue.keep_selling_place(
                session=session,
                data={"selling_place_id": place, "village_id": village, "name": "Bottega", "timezone": "Europe/Rome"},
            )
        sales_catalogue.keep_product(
            session=session,
            data={
                "product_id": honey,
                "producer_id": uuid.uuid4(),
                "name": "Miele",
                "sector": "agri-food",
                "unit": "piece",
                "price": "8.50",
                "vat_rate": "10",
                "mountain_product": True,
                "barcode": None,
            },
        )
    return {"a": str(a), "b": str(b), "dazio": str(dazio), "morbegno": str(morbegno), "honey": str(honey)}


@pytest.fixture
def as_(token_for):
    def headers(role, **scope):
        return {"Authorization": f"Bearer {token_for(role, 'sales', **scope)}"}

    return headers


def _sale(network, place_key="a", **overrides):
    body = receipt({"place": network[place_key], "honey": network["honey"], "cheese": network["honey"]}, **overrides)
    body["lines"] = [{"product_id": network["honey"], "quantity": "1"}]
    return body


def _count(app):
    with app.extensions["db"].transaction() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Receipt))


def test_a_till_records_for_its_own_selling_place_only(app, network, as_):
    client = app.test_client()
    clerk_a = as_("clerk", selling_place_id=network["a"])
    body = _sale(network)
    del body["selling_place_id"]
    created = client.post("/receipts", json=body, headers=clerk_a)
    assert created.status_code == 201 and created.get_json()["selling_place_id"] == network["a"]
    foreign = client.post("/receipts", json=_sale(network, "b"), headers=clerk_a)
    assert foreign.status_code == 403 and _count(app) == 1


def test_a_batch_rejects_only_the_receipts_of_another_selling_place(app, network, as_):
    clerk_a = as_("clerk", selling_place_id=network["a"])
    batch = {"receipts": [_sale(network), _sale(network, "b"), _sale(network)]}
    answer = app.test_client().post("/receipts/batch", json=batch, headers=clerk_a).get_json()
    assert [r["status"] for r in answer["results"]] == ["created", "rejected", "created"]
    assert "selling_place_id" in answer["results"][1]["errors"]


def test_another_selling_places_receipts_refunds_and_days_do_not_exist(app, network, as_):
    client = app.test_client()
    sale = client.post("/receipts", json=_sale(network)).get_json()  # recorded by an administrator
    clerk_b = as_("clerk", selling_place_id=network["b"])
    operator_elsewhere = as_("village_operator", village_id=network["morbegno"])
    for headers in (clerk_b, operator_elsewhere):
        assert client.get(f"/receipts/{sale['receipt_id']}", headers=headers).status_code == 404
        assert client.get(f"/receipts/{sale['receipt_id']}/refunds", headers=headers).status_code == 404
        assert client.get(f"/selling-places/{network['a']}/days/2026-07-14", headers=headers).status_code == 404
        assert client.get("/receipts", headers=headers).get_json() == []
        assert client.get("/receipts", query_string={"selling_place_id": network["a"]}, headers=headers).get_json() == []
    refund = {"refund_id": str(uuid.uuid4()), "kind": "void"}
    assert client.post(f"/receipts/{sale['receipt_id']}/refunds", json=refund, headers=clerk_b).status_code == 404
    operator_here = as_("village_operator", village_id=network["dazio"])
    assert client.get(f"/receipts/{sale['receipt_id']}", headers=operator_here).status_code == 200
    assert [r["receipt_id"] for r in client.get("/receipts", headers=operator_here).get_json()] == [sale["receipt_id"]]


def test_roles_without_the_right_answer_403_and_no_token_401(app, network, as_):
    client = app.test_client()
    producer = as_("producer", producer_id=str(uuid.uuid4()))
    analyst = as_("province_analyst")
    clerk_a = as_("clerk", selling_place_id=network["a"])
    assert client.get("/receipts", headers=producer).status_code == 403
    assert client.post("/receipts", json=_sale(network), headers=analyst).status_code == 403
    assert client.post("/receipts", json=_sale(network), headers=clerk_a).status_code == 201  # 14 July, in Dazio
    close = f"/selling-places/{network['a']}/days/2026-07-14/close"
    assert client.post(close, json={}, headers=clerk_a).status_code == 403
    assert client.post(close, json={}, headers=as_("manager", selling_place_id=network["b"])).status_code == 404
    assert client.post(close, json={}, headers=as_("manager", selling_place_id=network["a"])).status_code == 201
    assert client.get("/products", headers=producer).status_code == 200
    assert client.get("/receipts", headers={"Authorization": ""}).status_code == 401
