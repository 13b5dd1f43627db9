"""Preferences and templates: catalogue revisions against operators' changes, validation, wording."""

import dataclasses
import uuid
from datetime import timedelta

import pytest

from backbone.db import utcnow
from tests.support.events import deliver
from tests.support.notifications import producer_registered, product_registered, selling_place_registered, stock_low


@pytest.fixture
def app(make_app):
    return make_app("notifications")


def _update(producer, *, revision, occurred_at=None, **changes):
    """The catalogue's next state of `producer`: a ProducerUpdated at `revision`."""
    data = producer.data
    contacts = {**data["contacts"], **{k: v for k, v in changes.items() if k in data["contacts"]}}
    event = producer_registered(
        producer_id=data["producer_id"],
        revision=revision,
        language=changes.get("language", data["language"]),
        name=changes.get("name", data["name"]),
        **contacts,
    )
    return dataclasses.replace(event, occurred_at=occurred_at) if occurred_at is not None else event


def test_the_first_preferences_come_from_the_catalogue(app, redis_client):
    producer = producer_registered(language="en", email="miele@bianchi.example", phone="+39 333 1234567")
    deliver(app, redis_client, producer)
    body = app.test_client().get(f"/producers/{producer.data['producer_id']}/preferences").get_json()
    assert body["language"] == "en" and body["channels"] is None and body["active_channels"] == ["email", "sms"]
    assert body["delivery_mode"] == "immediate" and body["quiet_hours"] is None and body["timezone"] == "Europe/Rome"
    assert body["contacts"] == {
        "email": "miele@bianchi.example",
        "phone": "+39 333 1234567",
        "webhook_url": None,
        "telegram_chat_id": None,
    }
    assert body["revision"] == 1


def test_an_operators_change_survives_old_and_unrelated_catalogue_events(app, redis_client):
    client = app.test_client()
    producer = producer_registered(email="old@bianchi.example", phone="+39 333 1111111")
    url = f"/producers/{producer.data['producer_id']}/preferences"
    deliver(app, redis_client, producer)
    before_operator = utcnow()

    # given an operator who changes the e-mail and the language here
    response = client.patch(url, json={"language": "en", "contacts": {"email": "new@bianchi.example"}})
    assert response.status_code == 200, response.get_json()

    # when the registration is delivered again, and the village office then changes only the phone (revision 2)
    deliver(app, redis_client, producer)
    deliver(app, redis_client, _update(producer, revision=2, phone="+39 333 2222222"))
    body = client.get(url).get_json()
    # then the phone follows the catalogue and the operator's e-mail and language stay
    assert body["contacts"]["email"] == "new@bianchi.example" and body["language"] == "en"
    assert body["contacts"]["phone"] == "+39 333 2222222" and body["revision"] == 2

    # a catalogue change of the language made before the operator's (but delivered late) does not undo it
    late = _update(
        producer, revision=3, phone="+39 333 2222222", language="it", occurred_at=before_operator - timedelta(seconds=1)
    )
    deliver(app, redis_client, late)
    assert client.get(url).get_json()["language"] == "en"

    # a later catalogue change of the e-mail is newer than the operator's: it applies
    deliver(
        app, redis_client, _update(producer, revision=4, phone="+39 333 2222222", language="it", email="newest@bianchi.example")
    )
    body = client.get(url).get_json()
    assert body["contacts"]["email"] == "newest@bianchi.example" and body["language"] == "en" and body["revision"] == 4

    # an older revision arriving last changes nothing
    deliver(app, redis_client, _update(producer, revision=3, phone="+39 333 9999999", email="stale@bianchi.example"))
    assert client.get(url).get_json() == body


def test_preferences_are_validated_and_name_the_field(app, redis_client):
    client = app.test_client()
    producer = producer_registered(email="miele@bianchi.example")
    url = f"/producers/{producer.data['producer_id']}/preferences"
    deliver(app, redis_client, producer)

    def refused(body, *path):
        response = client.patch(url, json=body)
        assert response.status_code == 422, response.get_json()
        errors = response.get_json()["errors"]["json"]
        for part in path:
            errors = errors[part]
        return errors

    assert refused({"channels": ["sms"]}, "channels") == ["sms is chosen but there is no phone to send to."]
    assert refused({"channels": ["fax"]}, "channels", "0")
    assert refused({"channels": ["email", "email"]}, "channels")
    assert refused({"language": "de"}, "language")
    assert refused({"delivery_mode": "weekly"}, "delivery_mode")
    assert refused({"quiet_hours": {"from": "22:00", "until": "22:00"}}, "quiet_hours", "until")
    assert refused({"quiet_hours": {"from": "25:00", "until": "07:00"}}, "quiet_hours", "from")
    assert refused({"contacts": {"phone": "call me"}}, "contacts", "phone")
    assert refused({"contacts": {"telegram_chat_id": "x y"}}, "contacts", "telegram_chat_id")
    assert refused({"colour": "blue"}, "colour")
    # nothing was written by any of them
    assert client.get(url).get_json()["channels"] is None
    selling_place_digest = client.patch(f"/selling-places/{uuid.uuid4()}/preferences", json={"delivery_mode": "digest"})
    assert selling_place_digest.status_code == 422
    assert client.get(f"/producers/{uuid.uuid4()}/preferences").status_code == 404

    ok = client.patch(
        url,
        json={
            "channels": ["email", "sms"],
            "contacts": {"phone": "+39 333 1234567"},
            "quiet_hours": {"from": "21:30", "until": "07:00"},
        },
    )
    assert ok.status_code == 200, ok.get_json()
    body = ok.get_json()
    assert body["channels"] == ["email", "sms"] and body["active_channels"] == ["email", "sms"]
    assert body["quiet_hours"] == {"from": "21:30", "until": "07:00"}
    assert client.patch(url, json={"quiet_hours": None}).get_json()["quiet_hours"] is None


def test_chosen_channels_limit_the_deliveries(app, redis_client):
    producer = producer_registered(email="miele@bianchi.example", phone="+39 333 1234567")
    producer_id = producer.data["producer_id"]
    deliver(app, redis_client, producer)
    client = app.test_client()
    assert client.patch(f"/producers/{producer_id}/preferences", json={"channels": ["sms"]}).status_code == 200
    deliver(app, redis_client, stock_low(producer_id))
    alert = client.get("/alerts").get_json()[0]
    assert [d["channel"] for d in alert["deliveries"]] == ["sms"]


def test_an_operator_changes_the_wording_and_a_broken_template_is_refused(app, redis_client):
    client = app.test_client()
    url = "/templates/low_stock/en"
    assert client.get(url).get_json()["customised"] is False
    assert len(client.get("/templates").get_json()) == 8

    broken = client.put(url, json={"subject": "Low: {{ product }}", "body": "{{ product }} {{ colour }}"})
    assert broken.status_code == 422 and "colour" in broken.get_json()["errors"]["json"]["body"][0]
    unsafe = client.put(url, json={"subject": "{{ product.__class__ }}", "body": "x"})
    assert unsafe.status_code == 422 and "subject" in unsafe.get_json()["errors"]["json"]
    assert client.put("/templates/low_stock/de", json={"subject": "x", "body": "y"}).status_code == 404

    wording = {
        "subject": "Restock {{ product }}",
        "body": "{{ place }} has {{ on_hand }} of {{ product }}; bring {{ suggested }}.",
    }
    saved = client.put(url, json=wording)
    assert saved.status_code == 200 and saved.get_json()["customised"] is True

    producer = producer_registered(language="en", phone="+39 333 1234567")
    producer_id = producer.data["producer_id"]
    place, honey = selling_place_registered(), product_registered(producer_id)
    low = stock_low(
        producer_id, selling_place_id=place.data["selling_place_id"], product_id=honey.data["product_id"], on_hand="2.5"
    )
    deliver(app, redis_client, producer, place, honey, low)
    delivery = client.get("/alerts").get_json()[0]["deliveries"][0]
    assert delivery["subject"] == "Restock Miele di castagno"
    assert delivery["text"] == "Bottega di Dazio has 2.5 of Miele di castagno; bring 4."

    assert client.delete(url).get_json()["customised"] is False
    assert client.get(url).get_json()["body"].startswith("Low stock:")
