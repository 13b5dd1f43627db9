"""Notifications' tenant isolation: a producer, a shop or a village office sees only its own alerts."""

import uuid
from decimal import Decimal

import pytest

from backbone.events import new_event
from tests.support.events import deliver


@pytest.fixture
def app(make_app):
    return make_app("notifications")


def _event(type_, data):
    return new_event(type_, data, source="inventory")


@pytest.fixture
def world(app, redis_client):
    """Two villages with a shop each; a producer at home in each; a low-stock alert in each shop."""
    ids = {name: uuid.uuid4() for name in ("dazio", "morbegno", "place_a", "place_b", "producer_a", "producer_b")}
    events = []
    for village, place, producer in (("dazio", "place_a", "producer_a"), ("morbegno", "place_b", "producer_b")):
        events.append(
            _event(
                "SellingPlaceRegistered",
                {
                    "selling_place_id": ids[place],
                    "village_id": ids[village],
                    "name": f"Bottega {village}",
                    "timezone": "Europe/Rome",
                    "commission_rate": Decimal("15"),
                },
            )
        )
        events.append(
            _event(
                "ProducerRegistered",
                {
                    "producer_id": ids[producer],
                    "name": f"Produttore {village}",
                    "sector": "agri-food",
                    "home_village_id": ids[village],
                    "language": "it",
                    "contacts": {"email": None, "phone": None, "webhook_url": None},
                },
            )
        )
        events.append(
            _event(
                "StockLow",
                {
                    "selling_place_id": ids[place],
                    "product_id": uuid.uuid4(),
                    "producer_id": ids[producer],
                    "on_hand": Decimal("2"),
                    "threshold": Decimal("3"),
                    "crossing": 1,
                },
            )
        )
    deliver(app, redis_client, *events)
    alerts = {a["selling_place_id"]: a["id"] for a in app.test_client().get("/alerts").get_json()}
    return {**{k: str(v) for k, v in ids.items()}, "alert_a": alerts[str(ids["place_a"])], "alert_b": alerts[str(ids["place_b"])]}


@pytest.fixture
def as_(token_for):
    def headers(role, **scope):
        return {"Authorization": f"Bearer {token_for(role, 'notifications', **scope)}"}

    return headers


def test_each_caller_lists_only_its_own_alerts(app, world, as_):
    client = app.test_client()
    callers = {
        "producer": as_("producer", producer_id=world["producer_a"]),
        "clerk": as_("clerk", selling_place_id=world["place_a"]),
        "operator": as_("village_operator", village_id=world["dazio"]),
    }
    for name, headers in callers.items():
        listed = client.get("/alerts", headers=headers).get_json()
        assert [a["id"] for a in listed] == [world["alert_a"]], name
        naming_another = client.get("/alerts", query_string={"producer_id": world["producer_b"]}, headers=headers)
        assert naming_another.get_json() == [], name
        assert client.get(f"/alerts/{world['alert_b']}", headers=headers).status_code == 404, name
        assert client.get(f"/alerts/{world['alert_a']}", headers=headers).status_code == 200, name


def test_another_tenants_preferences_and_alerts_do_not_exist_for_writes_either(app, world, as_):
    client = app.test_client()
    producer_a = as_("producer", producer_id=world["producer_a"])
    assert client.get(f"/producers/{world['producer_b']}/preferences", headers=producer_a).status_code == 404
    assert (
        client.patch(f"/producers/{world['producer_b']}/preferences", json={"language": "en"}, headers=producer_a).status_code
        == 404
    )
    assert (
        client.patch(f"/producers/{world['producer_a']}/preferences", json={"language": "en"}, headers=producer_a).status_code
        == 200
    )
    manager_b = as_("manager", selling_place_id=world["place_b"])
    assert client.post(f"/alerts/{world['alert_a']}/acknowledge", headers=manager_b).status_code == 404
    operator_dazio = as_("village_operator", village_id=world["dazio"])
    assert client.get(f"/selling-places/{world['place_b']}/preferences", headers=operator_dazio).status_code == 404
    assert client.get(f"/selling-places/{world['place_a']}/preferences", headers=operator_dazio).status_code == 200


def test_roles_that_may_not_answer_403(app, world, as_):
    client = app.test_client()
    analyst = as_("province_analyst")
    clerk = as_("clerk", selling_place_id=world["place_a"])
    assert client.get("/alerts", headers=analyst).status_code == 403
    assert client.get("/deliveries", headers=clerk).status_code == 403
    assert (
        client.put(
            "/templates/low_stock/it",
            json={"subject": "x", "body": "y"},
            headers=as_("village_operator", village_id=world["dazio"]),
        ).status_code
        == 403
    )
    assert client.get("/alerts", headers={"Authorization": ""}).status_code == 401
