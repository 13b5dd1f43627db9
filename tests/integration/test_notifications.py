"""Notifications: stock events become alerts, delivered by a real Celery worker to a real HTTP receiver."""

import uuid
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker

from backbone.cli import build_consumer
from backbone.events import new_event
from services.notifications.channels import sign
from tests.support import wait_for
from tests.support.events import deliver
from tests.support.receiver import WebhookReceiver

SECRET = "a-test-secret"


@pytest.fixture
def app(make_app):
    return make_app("notifications", WEBHOOK_SECRET=SECRET, SEND_RETRY_BACKOFF=1, SEND_RETRY_JITTER=False, SEND_MAX_RETRIES=3)


@pytest.fixture
def worker(app):
    with start_worker(app.extensions["celery"], perform_ping_check=False, pool="solo", shutdown_timeout=30):
        yield


def _producer(webhook_url, language="it"):
    return new_event(
        "ProducerRegistered",
        {
            "producer_id": uuid.uuid4(),
            "name": "Apicoltura Bianchi",
            "sector": "agri-food",
            "home_village_id": None,
            "language": language,
            "contacts": {"email": None, "phone": None, "webhook_url": webhook_url},
        },
        source="inventory",
    )


def _low(producer_id, crossing=1):
    return new_event(
        "StockLow",
        {
            "selling_place_id": uuid.uuid4(),
            "product_id": uuid.uuid4(),
            "producer_id": producer_id,
            "on_hand": Decimal("2"),
            "threshold": Decimal("3"),
            "crossing": crossing,
            "suggested_quantity": Decimal("4"),
        },
        source="inventory",
    )


def test_a_stock_low_delivered_three_times_makes_one_alert_and_one_signed_webhook(app, redis_client, worker):
    with WebhookReceiver(SECRET) as receiver:
        producer = _producer(receiver.url, language="en")
        low = _low(producer.data["producer_id"])
        deliver(app, redis_client, producer, low, low)
        deliver(app, redis_client, low)

        wait_for(lambda: len(receiver.received) == 1, timeout=20, message="the webhook")
        alerts = app.test_client().get("/alerts", query_string={"producer_id": str(producer.data["producer_id"])}).get_json()
        assert len(alerts) == 1 and alerts[0]["kind"] == "low_stock"
        wait_for(lambda: app.test_client().get(f"/alerts/{alerts[0]['id']}").get_json()["deliveries"][0]["status"] == "sent")
        message = receiver.received[0]
        assert message["language"] == "en" and message["message"].startswith("Low stock:")
        assert "2 left; suggested delivery 4" in message["message"]
        assert message["delivery_id"] == alerts[0]["deliveries"][0]["id"]
        assert not receiver.rejected


def test_a_receiver_failing_twice_gets_exactly_one_delivery_after_retries(app, redis_client, worker):
    with WebhookReceiver(SECRET, fail_first=2) as receiver:
        producer = _producer(receiver.url)
        deliver(app, redis_client, producer, _low(producer.data["producer_id"]))
        wait_for(lambda: len(receiver.received) == 1, timeout=30, message="the third attempt to succeed")
        alert = app.test_client().get("/alerts").get_json()[0]
        delivery = wait_for(
            lambda: (d := app.test_client().get(f"/alerts/{alert['id']}").get_json()["deliveries"][0])["status"] == "sent" and d
        )
        assert delivery["attempts"] == 3 and receiver.attempts == 3


def test_a_delivery_that_never_succeeds_is_marked_failed_and_visible(app, redis_client, worker):
    with WebhookReceiver(SECRET, fail_first=100) as receiver:
        producer = _producer(receiver.url)
        deliver(app, redis_client, producer, _low(producer.data["producer_id"]))
        alert = wait_for(lambda: app.test_client().get("/alerts").get_json(), message="the alert")[0]

        def failed():
            delivery = app.test_client().get(f"/alerts/{alert['id']}").get_json()["deliveries"][0]
            return delivery["status"] == "failed" and delivery

        delivery = wait_for(failed, timeout=40, interval=0.2, message="the delivery to be marked failed")
        assert delivery["attempts"] == 4 and "503" in delivery["last_error"]  # the first try and 3 retries


def test_a_stock_event_for_a_producer_not_yet_known_is_retried_not_dropped(app, redis_client):
    with WebhookReceiver(SECRET) as receiver:
        producer = _producer(receiver.url)
        low = _low(producer.data["producer_id"])
        deliver(app, redis_client, low)  # registration still on its way
        assert app.test_client().get("/alerts").get_json() == []
        deliver(app, redis_client, producer)
        consumer = build_consumer(app)
        wait_for(
            lambda: consumer.reclaim() and app.test_client().get("/alerts").get_json(), timeout=10, message="the retried alert"
        )


def test_the_signature_covers_timestamp_and_body():
    assert sign("k", "1700000000", b"{}") == sign("k", "1700000000", b"{}")
    assert sign("k", "1700000000", b"{}") != sign("k", "1700000001", b"{}")
    assert sign("k", "1700000000", b"{}").startswith("sha256=")
