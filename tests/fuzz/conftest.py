"""Each service's app in-process, on a fresh database with some real rows, for fuzzing its API."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date

import pytest
import redis

from backbone.auth import ADMINISTRATOR, Principal, TokenSigner
from services.reporting import aggregates
from tests.conftest import build_app, close_apps
from tests.support.events import deliver
from tests.support.inventory import ok
from tests.support.network_events import catalogue
from tests.support.network_events import sale as network_sale
from tests.support.notifications import producer_registered, product_registered, selling_place_registered, stock_low
from tests.support.sales import receipt_body, seed_catalogue
from tests.support.tenants import build

SERVICES = ("identity", "inventory", "sales", "notifications", "reporting")

#: requests the fuzzing made, by service and status class ("2xx", "4xx"...): printed at the end of the run
FUZZ_REQUESTS: Counter = Counter()


def pytest_terminal_summary(terminalreporter):
    if FUZZ_REQUESTS:
        by_service = Counter()
        for (service, _), count in FUZZ_REQUESTS.items():
            by_service[service] += count
        terminalreporter.section("API fuzzing")
        for service, total in sorted(by_service.items()):
            classes = ", ".join(f"{FUZZ_REQUESTS[service, c]} {c}" for c in ("2xx", "4xx", "5xx") if FUZZ_REQUESTS[service, c])
            terminalreporter.write_line(f"{service}: {total} requests ({classes})")
        terminalreporter.write_line(f"in all: {sum(by_service.values())} requests")


def _ids(rows) -> list[str]:
    return [row["id"] for row in rows]


def seed_identity(app, client, token_for, redis_client) -> dict[str, list[str]]:
    key = ok(client.post("/keys", json={"role": "province_analyst", "label": "fuzz"}))
    return {"key_id": [key["id"]]}


def seed_inventory(app, client, token_for, redis_client) -> dict[str, list[str]]:
    villages = build(client, token_for)
    dazio = villages["dazio"]
    bitto = dazio.products["bitto"]["id"]
    stocktake = ok(
        client.post(
            f"/selling-places/{dazio.place['id']}/stocktakes",
            json={"stocktake_id": str(uuid.uuid4()), "lines": [{"product_id": bitto, "counted": "10"}]},
        )
    )
    return {
        "village_id": [v.village["id"] for v in villages.values()],
        "selling_place_id": [v.place["id"] for v in villages.values()],
        "producer_id": [p["id"] for v in villages.values() for p in v.producers.values()],
        "product_id": [p["id"] for v in villages.values() for p in v.products.values()],
        "stocktake_id": [stocktake["stocktake_id"]],
    }


def seed_sales(app, client, token_for, redis_client) -> dict[str, list[str]]:
    shop = seed_catalogue(app)
    receipt = ok(client.post("/receipts", json=receipt_body(shop)))
    refund = ok(
        client.post(
            f"/receipts/{receipt['receipt_id']}/refunds",
            json={"refund_id": str(uuid.uuid4()), "lines": [{"line_no": 1, "quantity": "1"}], "reason": "fuzz"},
        )
    )
    return {
        "receipt_id": [receipt["receipt_id"]],
        "refund_id": [refund["refund_id"]],
        "selling_place_id": [shop["place"]],
        "product_id": [shop["honey"], shop["cheese"]],
        "business_date": ["2026-07-14"],
    }


def seed_notifications(app, client, token_for, redis_client) -> dict[str, list[str]]:
    producer = producer_registered(email="miele@example.org")
    place = selling_place_registered()
    producer_id = producer.data["producer_id"]
    product = product_registered(producer_id)
    low = stock_low(producer_id, selling_place_id=place.data["selling_place_id"], product_id=product.data["product_id"])
    deliver(app, redis_client, producer, place, product, low)
    alerts = client.get("/alerts").get_json()
    return {
        "alert_id": _ids(alerts),
        "delivery_id": [d["id"] for a in alerts for d in a.get("deliveries", [])],
        "producer_id": [str(producer_id)],
        "selling_place_id": [str(place.data["selling_place_id"])],
        "kind": ["low_stock"],
        "language": ["it", "en"],
    }


def seed_reporting(app, client, token_for, redis_client) -> dict[str, list[str]]:
    rng = random.Random(8)
    cat = catalogue(rng, villages=1, producers=2)
    place = next(iter(cat.places))
    sales = [network_sale(cat, rng, place, date(2026, 7, day)) for day in (1, 14, 28)]
    deliver(app, redis_client, *cat.events, *sales)
    with app.extensions["db"].transaction() as session:
        while aggregates.recompute_dirty(session=session):
            pass
    ok(client.post("/settlements", json={"month": "2026-07"}))
    statements = ok(client.get("/settlements", query_string={"month": "2026-07"}), status=200)
    return {
        "producer_id": [str(producer) for producer in cat.producers],
        "statement_id": [s["statement_id"] for s in statements],
    }


SEEDS = {
    "identity": seed_identity,
    "inventory": seed_inventory,
    "sales": seed_sales,
    "notifications": seed_notifications,
    "reporting": seed_reporting,
}


@pytest.fixture(scope="module")
def fuzz_app(infra, signing_key):
    """Build a service's app on a fresh database with real rows; `app.known` holds their ids, `app.token` an admin's."""
    signer = TokenSigner(signing_key["private"])
    prefix = f"fz{uuid.uuid4().hex[:10]}:"
    redis_client = redis.Redis.from_url(infra.redis_url, decode_responses=True)
    apps = []

    def token_for(role: str = ADMINISTRATOR, audience: str = "inventory", **scope) -> str:
        return signer.sign(Principal(key_id=scope.pop("key_id", "fuzz-key"), role=role, **scope), audience)[0]

    def make(service: str):
        token = token_for(ADMINISTRATOR, audience=service, key_id="fuzz-admin")
        app = build_app(
            infra, service, prefix=prefix, signing_key=signing_key, token=token,
            LOG_LEVEL="CRITICAL", RATE_LIMIT="100000 per minute",
        )  # fmt: skip
        apps.append(app)
        app.token = token
        app.known = SEEDS[service](
            app, app.test_client(), lambda role, audience=service, **scope: token_for(role, audience, **scope), redis_client
        )
        return app

    yield make
    close_apps(apps)
    keys = list(redis_client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        redis_client.delete(*keys)
    redis_client.close()
