"""Offline batches: many receipts at once, in any order, some sent before; each recorded exactly once."""

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.sales.models import Receipt, ReceiptLine
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


def offline_receipts(shop: dict, n: int, *, seed: int = 0) -> list[dict]:
    """`n` receipts a till kept over the last ten days: varied lines, methods and hours (some late at night)."""
    rng = random.Random(seed)
    start = datetime(2026, 7, 1, 6, 0, tzinfo=timezone.utc)
    receipts = []
    for _ in range(n):
        lines = [{"product_id": shop["honey"], "quantity": str(rng.randint(1, 4))}]
        if rng.random() < 0.5:
            lines.append({"product_id": shop["cheese"], "quantity": f"{rng.randint(100, 2500) / 1000:.3f}"})
        if rng.random() < 0.2:
            lines.append({"product_id": shop["carving"], "quantity": "1", "discount": "5.00"})
        sold_at = start + timedelta(minutes=rng.randint(0, 10 * 24 * 60))
        receipts.append(
            receipt_body(shop, lines=lines, sold_at=sold_at.isoformat(), payment_method=rng.choice(["cash", "card", "other"]))
        )
    return receipts


def test_a_thousand_offline_receipts_with_200_duplicates_and_10_invalid_make_exactly_790_sales(app, client, shop):
    # given 100 receipts the till managed to send before the connection dropped
    sent_before = offline_receipts(shop, 100, seed=1)
    originals = {}
    for body in sent_before:
        response = client.post("/receipts", json=body)
        assert response.status_code == 201
        originals[body["receipt_id"]] = response.get_json()
    new = offline_receipts(shop, 790, seed=2)
    repeated_in_batch = random.Random(3).sample(new, 100)
    invalid = [
        receipt_body(shop, payment_method="barter"),
        receipt_body(shop, lines=[{"product_id": shop["honey"], "quantity": "-1"}]),
        receipt_body(shop, lines=[{"product_id": str(uuid.uuid4()), "quantity": "1"}]),  # unknown product, no price
        receipt_body(shop, lines=[{"product_id": shop["honey"], "quantity": "1", "discount": "9.00"}]),
        receipt_body(shop, sold_at="2026-07-14T10:30:00"),  # no offset: when was that?
        receipt_body(shop, clerk_mood="happy"),
        "not a receipt",
        {k: v for k, v in receipt_body(shop).items() if k != "receipt_id"},
        {**sent_before[0], "payment_method": "other" if sent_before[0]["payment_method"] != "other" else "cash"},
    ]
    expected_field = ["payment_method", "lines", "lines", "lines", "sold_at", "clerk_mood", "_schema", "receipt_id", "receipt_id"]

    # when it sends everything again, shuffled, in one batch (the 10th invalid one reuses a new receipt's id)
    batch = new + sent_before + [dict(body) for body in repeated_in_batch] + invalid
    random.Random(4).shuffle(batch)
    clash = {**new[0], "till_id": "till-9"}
    batch.append(clash)
    expected_field.append("receipt_id")
    assert len(batch) == 1000
    response = client.post("/receipts/batch", json={"receipts": batch})

    # then exactly the 790 new receipts are recorded, each result in the batch's order
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["created"], body["duplicates"], body["rejected"]) == (790, 200, 10)
    results = body["results"]
    assert [result["index"] for result in results] == list(range(1000))
    assert count(app, Receipt) == 890
    events = published(app, "SaleRecorded")
    assert len(events) == 890 and len({event.data["receipt_id"] for event in events}) == 890

    new_ids = {body["receipt_id"] for body in new}
    first_seen = set()
    rejected_fields = []
    for sent, result in zip(batch, results, strict=True):
        if result["status"] == "rejected":
            rejected_fields.append(next(iter(result["errors"])))
            continue
        receipt_id = sent["receipt_id"]
        assert result["receipt_id"] == receipt_id
        if receipt_id in originals:
            assert result["status"] == "duplicate" and result["total"] == originals[receipt_id]["total"]
        elif receipt_id in first_seen:
            assert result["status"] == "duplicate"
        else:
            assert receipt_id in new_ids and result["status"] == "created"
            first_seen.add(receipt_id)
        # a late sale lands on the day it happened in Rome, not the day it arrived
        sold_at = datetime.fromisoformat(sent["sold_at"])
        assert result["business_date"] == sold_at.astimezone(ZoneInfo("Europe/Rome")).date().isoformat()
    assert first_seen == new_ids
    assert sorted(rejected_fields) == sorted(expected_field)
    assert results[-1]["errors"] == {"receipt_id": ["Already used for a different sale."]}
    assert results[-1]["receipt_id"] == clash["receipt_id"]


def test_each_rejected_receipt_says_why_and_the_good_ones_still_count(app, client, shop):
    good = receipt_body(shop)
    unknown = receipt_body(shop, lines=[{"product_id": str(uuid.uuid4()), "quantity": "1"}])
    bad = receipt_body(shop, lines=[{"product_id": shop["honey"], "quantity": "1.0001"}])
    response = client.post("/receipts/batch", json={"receipts": [bad, good, unknown]})
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "created", "rejected"]
    assert results[0]["errors"] == {"lines": {"0": {"quantity": ["At most 3 decimal places."]}}}
    assert results[0]["receipt_id"] == bad["receipt_id"]
    assert "price charged" in results[2]["errors"]["lines"]["0"]["unit_price"][0]
    assert results[1]["total"] == "17.00" and results[1]["vat_total"] == "1.55"
    assert count(app, Receipt) == 1 and count(app, ReceiptLine) == 1
    # the good one is the same sale as if posted alone: posting it alone now finds it
    assert client.post("/receipts", json=good).status_code == 200


def test_two_overlapping_batches_at_once_record_every_receipt_once(app, shop):
    shared = offline_receipts(shop, 100, seed=5)
    batches = [shared + offline_receipts(shop, 100, seed=6), offline_receipts(shop, 100, seed=7) + shared[::-1]]

    def post(batch):
        response = app.test_client().post("/receipts/batch", json={"receipts": batch})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(post, batches)
    assert first["created"] + second["created"] == 300
    assert first["duplicates"] + second["duplicates"] == 100
    statuses = {}
    for body, batch in ((first, batches[0]), (second, batches[1])):
        for sent, result in zip(batch, body["results"], strict=True):
            statuses.setdefault(sent["receipt_id"], []).append(result["status"])
    assert all(sorted(statuses[body["receipt_id"]]) == ["created", "duplicate"] for body in shared)
    assert count(app, Receipt) == 300 and len(published(app, "SaleRecorded")) == 300


@pytest.mark.parametrize(
    "payload, field",
    [({"receipts": []}, "receipts"), ({"receipts": [{}] * 1001}, "receipts"), ({"receipts": {}}, "receipts"), ({}, "receipts")],
)
def test_a_batch_that_is_not_a_list_of_receipts_is_refused_whole(client, payload, field):
    response = client.post("/receipts/batch", json=payload)
    assert response.status_code == 422 and field in response.get_json()["errors"]["json"]


def test_the_receipts_with_a_line_to_review_can_be_listed(client, shop):
    unknown = receipt_body(shop, lines=[{"product_id": str(uuid.uuid4()), "quantity": "1", "unit_price": "4.00"}])
    known = receipt_body(shop, sold_at="2026-07-15T10:00:00+02:00")
    body = client.post("/receipts/batch", json={"receipts": [unknown, known]}).get_json()
    assert [r["flagged"] for r in body["results"]] == [True, False]
    flagged = client.get("/receipts", query_string={"flagged": "true", "selling_place_id": shop["place"]}).get_json()
    assert [r["receipt_id"] for r in flagged] == [unknown["receipt_id"]] and flagged[0]["lines"][0]["flagged"]
    newest_first = client.get("/receipts", query_string={"selling_place_id": shop["place"]}).get_json()
    assert [r["receipt_id"] for r in newest_first] == [known["receipt_id"], unknown["receipt_id"]]
    of_the_day = client.get("/receipts", query_string={"business_date": "2026-07-15"}).get_json()
    assert [r["receipt_id"] for r in of_the_day] == [known["receipt_id"]]
    assert client.get("/receipts", query_string={"flagged": "maybe"}).status_code == 422
