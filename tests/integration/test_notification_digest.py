"""The daily digest: exactly the day's sales and what is running low, made once per day whatever asks for it."""

import threading
from datetime import date, timedelta

import pytest
from celery.contrib.testing.worker import start_worker

from services.notifications import digests
from services.notifications.tasks import DIGEST
from tests.support import wait_for
from tests.support.events import deliver
from tests.support.notifications import (
    producer_registered,
    product_registered,
    sale,
    selling_place_registered,
    stock_low,
    stock_restocked,
)
from tests.support.peers import SmtpServer

DAY = date(2026, 3, 11)


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def app(make_app, smtp):
    return make_app("notifications", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SEND_RETRY_BACKOFF=1, SEND_RETRY_JITTER=False)


def _digest_reader(app, redis_client, **contacts):
    producer = producer_registered(**contacts)
    deliver(app, redis_client, producer)
    response = app.test_client().patch(f"/producers/{producer.data['producer_id']}/preferences", json={"delivery_mode": "digest"})
    assert response.status_code == 200, response.get_json()
    return producer.data["producer_id"]


def test_a_digest_says_exactly_what_sold_where_that_day_and_what_is_running_low(app, smtp, redis_client):
    client = app.test_client()
    # given a producer who chose the digest, two shops, honey and cheese
    producer_id = _digest_reader(app, redis_client, email="miele@bianchi.example")
    other = producer_registered(email="altro@example.org")
    dazio, morbegno = selling_place_registered("Bottega di Dazio"), selling_place_registered("Punto di Morbegno")
    honey, cheese = product_registered(producer_id, "Miele di castagno"), product_registered(producer_id, "Bitto")
    deliver(app, redis_client, other, dazio, morbegno, honey, cheese)
    at = {"dazio": dazio.data["selling_place_id"], "morbegno": morbegno.data["selling_place_id"]}
    honey_id, cheese_id = honey.data["product_id"], cheese.data["product_id"]

    # ... sales on the day, the day before and the day after, one of them delivered twice, one of another producer
    twice = sale(
        producer_id=producer_id, selling_place_id=at["dazio"], product_id=honey_id, business_date=DAY, quantity="3", gross="25.50"
    )
    deliver(
        app,
        redis_client,
        twice,
        twice,
        sale(producer_id=producer_id, selling_place_id=at["dazio"], product_id=honey_id, business_date=DAY, quantity="1", gross="8.50"),
        sale(producer_id=producer_id, selling_place_id=at["morbegno"], product_id=cheese_id, business_date=DAY, quantity="0.750", gross="15.75"),
        sale(producer_id=producer_id, selling_place_id=at["dazio"], product_id=honey_id, business_date=DAY - timedelta(days=1), quantity="5", gross="42.50"),
        sale(producer_id=producer_id, selling_place_id=at["dazio"], product_id=honey_id, business_date=DAY + timedelta(days=1), quantity="7", gross="59.50"),
        sale(producer_id=other.data["producer_id"], selling_place_id=at["dazio"], product_id=honey_id, business_date=DAY, quantity="9", gross="1.00"),
    )  # fmt: skip
    deliver(app, redis_client, twice)

    # ... honey running low in Dazio (told in the digest, not at once), and cheese low in Morbegno but restocked since
    deliver(app, redis_client, stock_low(producer_id, selling_place_id=at["dazio"], product_id=honey_id, days_of_cover=None))
    deliver(app, redis_client, stock_low(producer_id, selling_place_id=at["morbegno"], product_id=cheese_id))
    deliver(app, redis_client, stock_restocked(producer_id, selling_place_id=at["morbegno"], product_id=cheese_id))
    alerts = client.get("/alerts", query_string={"producer_id": str(producer_id)}).get_json()
    assert all(alert["in_digest"] and alert["deliveries"] == [] for alert in alerts) and len(alerts) == 2
    assert [alert["resolved_at"] is not None for alert in alerts] == [True, False]  # newest first: cheese, honey

    # when beat asks for the digest of the day (twice, as two beats would)
    with start_worker(app.extensions["celery"], perform_ping_check=False, pool="solo", shutdown_timeout=30):
        app.extensions["celery"].send_task(DIGEST, args=[DAY.isoformat()])
        app.extensions["celery"].send_task(DIGEST, args=[DAY.isoformat()])
        wait_for(lambda: len(smtp.messages) == 1, timeout=30, message="the digest e-mail")
        found = client.get("/digests", query_string={"producer_id": str(producer_id)}).get_json()
        wait_for(lambda: client.get(f"/deliveries/{found[0]['deliveries'][0]['id']}").get_json()["status"] == "sent")

    # then one digest, with exactly the day's sales by shop and product, and the honey running low
    assert len(found) == 1 and found[0]["period"] == DAY.isoformat()
    content = found[0]["content"]
    assert [(s["place"], s["product"], s["quantity"], s["gross"]) for s in content["sales"]] == [
        ("Bottega di Dazio", "Miele di castagno", "4.000", "34.00"),
        ("Punto di Morbegno", "Bitto", "0.750", "15.75"),
    ]
    assert content["total"] == "49.75"
    assert [(item["place"], item["product"], item["on_hand"]) for item in content["running_low"]] == [
        ("Bottega di Dazio", "Miele di castagno", "2.000")
    ]
    assert smtp.messages[0]["Subject"] == "Riepilogo di mercoledì 11 marzo 2026"
    assert smtp.messages[0].get_content().replace("\r\n", "\n").strip() == (
        "Buongiorno Apicoltura Bianchi, ecco il riepilogo di mercoledì 11 marzo 2026.\n"
        "Venduto:\n"
        "- Bottega di Dazio: Miele di castagno, 4 (34,00\xa0€)\n"
        "- Punto di Morbegno: Bitto, 0,75 (15,75\xa0€)\n"
        "Totale: 49,75\xa0€\n"
        "In esaurimento:\n"
        "- Miele di castagno presso Bottega di Dazio: rimasti 2, consegna suggerita 4"
    )
    # the producer who takes alerts at once gets no digest; acknowledging takes the honey off the list
    assert client.get("/digests").get_json() == found
    client.post(f"/alerts/{alerts[1]['id']}/acknowledge")
    with app.extensions["db"].transaction() as session:
        assert digests.digest_content(session=session, producer_id=producer_id, period=DAY)["running_low"] == []


def test_two_beats_asking_at_once_make_one_digest_run(app, redis_client):
    producer_id = _digest_reader(app, redis_client, email="miele@bianchi.example")
    place = selling_place_registered()
    deliver(
        app,
        redis_client,
        place,
        sale(producer_id=producer_id, selling_place_id=place.data["selling_place_id"], product_id=place.data["village_id"], business_date=DAY, quantity="1", gross="8.50"),
    )  # fmt: skip
    db = app.extensions["db"]
    start = threading.Barrier(2)
    results = []

    def beat():
        start.wait()
        with db.transaction() as session:
            results.append(digests.make_digests(session=session, period=DAY))

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    made = [result for result in results if result is not None]
    assert len(results) == 2 and len(made) == 1 and len(made[0]) == 1  # one run, one e-mail delivery
    assert len(app.test_client().get("/digests").get_json()) == 1


def test_nothing_to_say_sends_no_digest(app, redis_client):
    _digest_reader(app, redis_client, email="miele@bianchi.example")
    with app.extensions["db"].transaction() as session:
        assert digests.make_digests(session=session, period=DAY) == []
    assert app.test_client().get("/digests").get_json() == []
