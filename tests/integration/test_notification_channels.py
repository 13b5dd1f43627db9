"""Every channel against a real peer started in the test, sent by a real Celery worker."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from celery.contrib.testing.worker import start_worker

from backbone.db import utcnow
from services.notifications.tasks import SWEEP
from tests.support import wait_for
from tests.support.events import deliver
from tests.support.notifications import (
    producer_registered,
    product_registered,
    selling_place_registered,
    stock_discrepancy,
    stock_low,
)
from tests.support.peers import SmsGateway, SmtpServer, TelegramBot
from tests.support.receiver import WebhookReceiver

SECRET = "a-test-secret"
BOT_TOKEN = "123456:test-token"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def telegram():
    with TelegramBot(BOT_TOKEN) as bot:
        yield bot


@pytest.fixture
def make(make_app, smtp, telegram):
    """The notifications app wired to the test's peers (the SMS gateway's URL is the test's to give)."""

    def build(sms_url=None, **config):
        settings = {
            "WEBHOOK_SECRET": SECRET,
            "SEND_RETRY_BACKOFF": 1,
            "SEND_RETRY_JITTER": False,
            "SEND_MAX_RETRIES": 3,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp.port,
            "SMTP_FROM": "avvisi@dazio.example",
            "SMS_GATEWAY_URL": sms_url,
            "SMS_GATEWAY_USERNAME": "dazio",
            "SMS_GATEWAY_PASSWORD": "sms-secret",
            "TELEGRAM_API_URL": telegram.base_url,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        }
        return make_app("notifications", **{**settings, **config})

    return build


def worker_for(app):
    return start_worker(app.extensions["celery"], perform_ping_check=False, pool="solo", shutdown_timeout=30)


def deliveries_of(app, alert_id) -> dict[str, dict]:
    return {d["channel"]: d for d in app.test_client().get(f"/alerts/{alert_id}").get_json()["deliveries"]}


def test_a_stock_low_delivered_three_times_makes_one_alert_and_one_message_per_channel(make, smtp, telegram, redis_client):
    with SmsGateway(username="dazio", password="sms-secret") as gateway, WebhookReceiver(SECRET) as receiver:
        app = make(sms_url=gateway.url)
        # given a producer reachable on all four channels, and the names of the shop and the honey
        producer = producer_registered(
            email="miele@bianchi.example", phone="+39 333 1234567", telegram_chat_id="4242", webhook_url=receiver.url
        )
        producer_id = producer.data["producer_id"]
        place, honey = selling_place_registered(), product_registered(producer_id)
        low = stock_low(producer_id, selling_place_id=place.data["selling_place_id"], product_id=honey.data["product_id"])

        with worker_for(app):
            # when the same StockLow arrives three times
            deliver(app, redis_client, producer, place, honey, low, low)
            deliver(app, redis_client, low)

            # then there is one alert, and each channel confirms exactly one message
            alerts = app.test_client().get("/alerts", query_string={"producer_id": str(producer_id)}).get_json()
            assert len(alerts) == 1
            wait_for(
                lambda: {d["status"] for d in deliveries_of(app, alerts[0]["id"]).values()} == {"sent"},
                timeout=30,
                message="every channel to confirm",
            )
        assert sorted(deliveries_of(app, alerts[0]["id"])) == ["email", "sms", "telegram", "webhook"]
        assert len(smtp.messages) == 1 and len(gateway.received) == 1 and len(telegram.received) == 1
        assert len(receiver.received) == 1 and not receiver.rejected

    # in Italian (the producer's language): what, where, how many are left, days of cover, suggested quantity
    expected = (
        "Scorte basse: Miele di castagno presso Bottega di Dazio. Rimasti 2, circa 1,5 giorni di copertura; consegna suggerita 4."
    )
    email = smtp.messages[0]
    assert email["To"] == "miele@bianchi.example" and email["From"] == "avvisi@dazio.example"
    assert email["Subject"] == "Scorte basse: Miele di castagno presso Bottega di Dazio"
    assert email.get_content().strip() == expected
    sms = gateway.received[0]
    assert sms["to"] == "+39 333 1234567" and sms["text"] == expected
    assert sms["idempotency_key"] == sms["reference"] == deliveries_of(app, alerts[0]["id"])["sms"]["id"]
    assert telegram.received[0]["chat_id"] == "4242" and telegram.received[0]["text"] == expected
    hook = receiver.received[0]
    assert (
        hook["message"] == expected
        and hook["alert"]["days_of_cover"] == "1.500"
        and hook["alert"]["suggested_quantity"] == "4.000"
    )


def test_a_gateway_that_fails_twice_then_succeeds_yields_exactly_one_sms(make, redis_client):
    with SmsGateway(username="dazio", password="sms-secret", fail_first=2) as gateway:
        app = make(sms_url=gateway.url)
        producer = producer_registered(phone="+39 333 7654321")
        with worker_for(app):
            deliver(app, redis_client, producer, stock_low(producer.data["producer_id"]))
            alert = app.test_client().get("/alerts").get_json()[0]
            sms = wait_for(
                lambda: (d := deliveries_of(app, alert["id"])["sms"])["status"] == "sent" and d,
                timeout=30,
                message="the third attempt to be confirmed",
            )
        assert gateway.attempts == 3 and len(gateway.received) == 1
        assert sms["attempts"] == 3 and sms["last_error"] is None


def test_a_channel_not_configured_here_fails_at_once_and_visibly(make_app, redis_client):
    app = make_app("notifications", SEND_RETRY_BACKOFF=1, SEND_RETRY_JITTER=False)  # no SMTP host
    producer = producer_registered(email="miele@bianchi.example")
    with worker_for(app):
        deliver(app, redis_client, producer, stock_low(producer.data["producer_id"]))
        alert = app.test_client().get("/alerts").get_json()[0]
        email = wait_for(lambda: (d := deliveries_of(app, alert["id"])["email"])["status"] == "failed" and d, timeout=20)
    assert email["attempts"] == 1 and "NOTIFICATIONS_SMTP_HOST" in email["last_error"]
    failed = app.test_client().get("/deliveries", query_string={"status": "failed"}).get_json()
    assert [d["id"] for d in failed] == [email["id"]]


def test_a_telegram_error_is_kept_without_the_bot_token(make, telegram, redis_client):
    app = make(SEND_MAX_RETRIES=0)
    producer = producer_registered(telegram_chat_id="4242")
    telegram.token = "another-token"  # the bot answers 404 to ours
    with worker_for(app):
        deliver(app, redis_client, producer, stock_low(producer.data["producer_id"]))
        alert = app.test_client().get("/alerts").get_json()[0]
        sent = wait_for(lambda: (d := deliveries_of(app, alert["id"])["telegram"])["status"] == "failed" and d, timeout=20)
    assert "404" in sent["last_error"] and BOT_TOKEN not in sent["last_error"]


def test_an_operator_resends_a_failed_delivery_and_it_is_sent_once(make_app, redis_client):
    with WebhookReceiver(SECRET, fail_first=2) as receiver:
        app = make_app("notifications", WEBHOOK_SECRET=SECRET, SEND_RETRY_BACKOFF=1, SEND_RETRY_JITTER=False, SEND_MAX_RETRIES=1)
        producer = producer_registered(webhook_url=receiver.url)
        client = app.test_client()
        with worker_for(app):
            deliver(app, redis_client, producer, stock_low(producer.data["producer_id"]))
            alert = client.get("/alerts").get_json()[0]
            failed = wait_for(lambda: (d := deliveries_of(app, alert["id"])["webhook"])["status"] == "failed" and d, timeout=20)
            assert failed["attempts"] == 2 and receiver.received == []

            # when the operator sends it again (the receiver is back)
            response = client.post(f"/deliveries/{failed['id']}/resend")
            assert response.status_code == 200 and response.get_json()["status"] == "pending"
            sent = wait_for(lambda: (d := deliveries_of(app, alert["id"])["webhook"])["status"] == "sent" and d, timeout=20)

        # then it arrives once; a delivery that did not fail cannot be resent
        assert len(receiver.received) == 1 and sent["attempts"] == 3
        again = client.post(f"/deliveries/{failed['id']}/resend")
        assert again.status_code == 409 and "sent" in again.get_json()["message"]
        assert client.post("/deliveries/00000000-0000-0000-0000-000000000000/resend").status_code == 404


def test_a_discrepancy_tells_the_selling_place_not_the_producer(make, smtp, redis_client):
    app = make()
    client = app.test_client()
    with WebhookReceiver(SECRET) as producer_hook:
        producer = producer_registered(webhook_url=producer_hook.url)
        place = selling_place_registered()
        place_id = place.data["selling_place_id"]
        deliver(app, redis_client, producer, place)
        # the selling place's contacts are managed here
        response = client.patch(
            f"/selling-places/{place_id}/preferences", json={"contacts": {"email": "bottega@dazio.example"}, "language": "en"}
        )
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["active_channels"] == ["email"]

        with worker_for(app):
            deliver(app, redis_client, stock_discrepancy(producer.data["producer_id"], selling_place_id=place_id))
            alert = client.get("/alerts", query_string={"selling_place_id": str(place_id)}).get_json()[0]
            wait_for(lambda: deliveries_of(app, alert["id"])["email"]["status"] == "sent", timeout=20)
    assert alert["kind"] == "discrepancy" and alert["recipient_id"] == str(place_id)
    assert list(deliveries_of(app, alert["id"])) == ["email"] and producer_hook.received == []
    assert smtp.envelopes[0][1] == ["bottega@dazio.example"]
    # the product's name never reached notifications here: its id stands in
    text = f"Stock mismatch: {alert['product_id']} at Bottega di Dazio shows -1. A stocktake is due."
    assert smtp.messages[0].get_content().strip() == text


def test_quiet_hours_hold_an_alert_until_they_end(make, smtp, redis_client):
    app = make()
    client = app.test_client()
    producer = producer_registered(email="miele@bianchi.example")
    producer_id = producer.data["producer_id"]
    deliver(app, redis_client, producer)
    # given quiet hours (Rome time) that began an hour ago and end in an hour
    now = utcnow().astimezone(ZoneInfo("Europe/Rome"))
    later = (now + timedelta(hours=1)).replace(microsecond=0)
    quiet = {"from": (now - timedelta(hours=1)).strftime("%H:%M:%S"), "until": later.strftime("%H:%M:%S")}
    response = client.patch(f"/producers/{producer_id}/preferences", json={"quiet_hours": quiet})
    assert response.status_code == 200, response.get_json()

    with worker_for(app):
        # when an alert comes in during them
        deliver(app, redis_client, stock_low(producer_id))
        alert = client.get("/alerts").get_json()[0]
        held = deliveries_of(app, alert["id"])["email"]
        # then it is held until they end
        assert held["status"] == "held" and datetime.fromisoformat(held["not_before"]) == later
        # ... and when the producer moves their end to a few seconds from now, it waits for that
        ends = (utcnow().astimezone(ZoneInfo("Europe/Rome")) + timedelta(seconds=8)).replace(microsecond=0)
        quiet["until"] = ends.strftime("%H:%M:%S")
        assert client.patch(f"/producers/{producer_id}/preferences", json={"quiet_hours": quiet}).status_code == 200
        assert datetime.fromisoformat(client.get(f"/deliveries/{held['id']}").get_json()["not_before"]) == ends
        celery = app.extensions["celery"]

        # ... and the sweep sends it once they are over, not before
        def sent():
            celery.send_task(SWEEP)
            return wait_for(
                lambda: (d := client.get(f"/deliveries/{held['id']}").get_json())["status"] == "sent" and d, timeout=1
            )

        delivered = wait_for(sent, timeout=30, interval=0.5, message="the held e-mail to go out")
    assert datetime.fromisoformat(delivered["sent_at"]) >= ends
    assert len(smtp.messages) == 1 and smtp.arrived[0] >= ends.timestamp()


def test_lifting_quiet_hours_releases_what_they_held(make, smtp, redis_client):
    app = make()
    client = app.test_client()
    producer = producer_registered(email="miele@bianchi.example")
    producer_id = producer.data["producer_id"]
    deliver(app, redis_client, producer)
    now = utcnow().astimezone(ZoneInfo("Europe/Rome"))
    quiet = {"from": (now - timedelta(hours=1)).strftime("%H:%M"), "until": (now + timedelta(hours=2)).strftime("%H:%M")}
    assert client.patch(f"/producers/{producer_id}/preferences", json={"quiet_hours": quiet}).status_code == 200
    deliver(app, redis_client, stock_low(producer_id))
    held = client.get("/alerts").get_json()[0]["deliveries"][0]
    assert held["status"] == "held" and datetime.fromisoformat(held["not_before"]) > utcnow() + timedelta(minutes=59)

    # when the operator lifts the quiet hours, the next sweep sends what they held
    assert client.patch(f"/producers/{producer_id}/preferences", json={"quiet_hours": None}).status_code == 200
    with worker_for(app):
        app.extensions["celery"].send_task(SWEEP)
        wait_for(lambda: client.get(f"/deliveries/{held['id']}").get_json()["status"] == "sent", timeout=20)
    assert len(smtp.messages) == 1
