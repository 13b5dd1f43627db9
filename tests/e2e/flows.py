"""What a village office and a shop do through the public APIs, as reusable steps for e2e tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from tests.support import wait_for
from tests.support.network import Network


def created(response, status: int = 201) -> dict:
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.status_code} {response.text}"
    return response.json()


def register_shop(network: Network, *, webhook_url: str | None = None, threshold: str = "3", price: str = "8.50") -> dict:
    """A village with one selling place, one producer (agri-food) and one product, known to sales."""
    village = created(
        network.post(
            "inventory",
            "/villages",
            {"name": "Dazio", "istat_code": f"{uuid.uuid4().int % 10**6:06d}", "province": "SO", "population": 347},
        )
    )
    place = created(
        network.post(
            "inventory", "/selling-places", {"village_id": village["id"], "name": "Bottega di Dazio", "commission_rate": "15"}
        )
    )
    producer = created(
        network.post(
            "inventory",
            "/producers",
            {"name": "Apicoltura Bianchi", "sector": "agri-food", "home_village_id": village["id"], "webhook_url": webhook_url},
        )
    )
    product = created(
        network.post(
            "inventory",
            "/products",
            {
                "producer_id": producer["id"],
                "name": "Miele di castagno",
                "price": price,
                "vat_rate": "10",
                "reorder_threshold": threshold,
            },
        )
    )
    wait_for(
        lambda: network.get("sales", f"/products/{product['id']}").status_code == 200,
        timeout=30,
        message="sales to learn the product from the catalogue events",
    )
    return {"village": village, "place": place, "producer": producer, "product": product}


def restock(network: Network, shop: dict, quantity: str) -> dict:
    return created(
        network.post(
            "inventory",
            f"/selling-places/{shop['place']['id']}/restocks",
            {"lines": [{"product_id": shop["product"]["id"], "quantity": quantity}]},
        )
    )


def sell(network: Network, shop: dict, quantity: str = "1", *, receipt_id: str | None = None) -> dict:
    body = {
        "receipt_id": receipt_id or str(uuid.uuid4()),
        "selling_place_id": shop["place"]["id"],
        "till_id": "till-1",
        "sold_at": datetime.now(timezone.utc).isoformat(),
        "payment_method": "cash",
        "lines": [{"product_id": shop["product"]["id"], "quantity": quantity}],
    }
    return created(network.post("sales", "/receipts", body))


def on_hand(network: Network, shop: dict) -> Decimal:
    response = network.get("inventory", f"/selling-places/{shop['place']['id']}/stock/{shop['product']['id']}")
    assert response.status_code == 200, response.text
    return Decimal(response.json()["on_hand"])


def wait_for_stock(network: Network, shop: dict, expected: Decimal, timeout: float = 60) -> None:
    def reached():
        assert on_hand(network, shop) == expected, f"on hand {on_hand(network, shop)}, expected {expected}"
        return True

    wait_for(reached, timeout=timeout, interval=0.2, message=f"stock to reach {expected}")


def daily_report(network: Network, group_by: str, key: str | None = None) -> dict:
    """The daily report around today (the business day in Rome may be tomorrow in UTC)."""
    today = datetime.now(timezone.utc).date()
    params = {"group_by": group_by, "from": str(today - timedelta(days=2)), "to": str(today + timedelta(days=1))}
    if key:
        params["key"] = key
    response = network.get("reporting", "/reports/daily", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def report_total(network: Network, group_by: str, key: str) -> tuple[Decimal, Decimal]:
    """(quantity, gross) summed over the days of the report, for one key."""
    rows = daily_report(network, group_by, key)["rows"]
    return (
        sum((Decimal(row["quantity"]) for row in rows), Decimal(0)),
        sum((Decimal(row["gross"]) for row in rows), Decimal(0)),
    )


def ledger(network: Network, shop: dict) -> list[dict]:
    response = network.get("inventory", f"/selling-places/{shop['place']['id']}/stock/{shop['product']['id']}/ledger")
    assert response.status_code == 200, response.text
    return response.json()


def alerts(network: Network, shop: dict) -> list[dict]:
    response = network.get("notifications", "/alerts", params={"producer_id": shop["producer"]["id"]})
    assert response.status_code == 200, response.text
    return response.json()


def groups(redis_client, prefix: str) -> dict[tuple[str, str], dict]:
    """Every consumer group of every event stream: (family, group) -> XINFO GROUPS entry."""
    from backbone import contract, streams

    found = {}
    for family in contract.SUBSCRIPTIONS:
        key = streams.stream_key(prefix, family)
        if redis_client.exists(key):
            for info in redis_client.xinfo_groups(key):
                found[(family, info["name"])] = info
    return found


def wait_until_quiet(network: Network, redis_client, prefix: str, timeout: float = 60) -> None:
    """Every outbox relayed, every group caught up with nothing pending, every aggregate recomputed."""

    def quiet():
        infos = groups(redis_client, prefix)
        busy = {k: (v["lag"], v["pending"]) for k, v in infos.items() if v["lag"] != 0 or v["pending"] != 0}
        assert not busy, f"groups still busy: {busy}"
        for group_by in ("producer", "sector"):
            assert daily_report(network, group_by)["pending_keys"] == 0, "aggregates waiting"
        return True

    wait_for(quiet, timeout=timeout, interval=0.3, message="the network to be quiet")


def sell_at(network: Network, shop: dict, quantity: str, sold_at: datetime, *, place: dict | None = None) -> dict:
    """A receipt for a sale that happened at `sold_at` (a till that was offline, a history)."""
    body = {
        "receipt_id": str(uuid.uuid4()),
        "selling_place_id": (place or shop["place"])["id"],
        "till_id": "till-1",
        "sold_at": sold_at.isoformat(),
        "payment_method": "cash",
        "lines": [{"product_id": shop["product"]["id"], "quantity": quantity}],
    }
    return created(network.post("sales", "/receipts", body))


def producer_stock(network: Network, shop: dict) -> list[dict]:
    """Where the shop's producer's goods are, as inventory tells the producer."""
    response = network.get("inventory", f"/producers/{shop['producer']['id']}/stock")
    assert response.status_code == 200, response.text
    return response.json()


def offline_receipt(shop: dict, sold_at: datetime, quantity: str = "1") -> dict:
    """A receipt a till kept while offline, sold at `sold_at`."""
    return {
        "receipt_id": str(uuid.uuid4()),
        "selling_place_id": shop["place"]["id"],
        "till_id": "till-offline",
        "sold_at": sold_at.isoformat(),
        "payment_method": "cash",
        "lines": [{"product_id": shop["product"]["id"], "quantity": quantity}],
    }


def upload_offline(network: Network, receipts: list) -> dict:
    """Send what a till kept while offline in one batch; the per-receipt results."""
    return created(network.post("sales", "/receipts/batch", {"receipts": receipts}), 200)


def close_day(network: Network, shop: dict, business_date: str) -> dict:
    """Close a selling place's business day (Z report)."""
    return created(network.post("sales", f"/selling-places/{shop['place']['id']}/days/{business_date}/close", {}))


def issue_key(network: Network, role: str, **scope: str) -> str:
    """An API key for `role` acting for one selling place, village or producer, issued by the administrator."""
    body = {"role": role, "label": f"e2e {role}", **scope}
    return created(network.post("identity", "/keys", body))["api_key"]


def refund(network: Network, receipt: dict, quantity: str = "1", *, refund_id: str | None = None, line_no: int = 1) -> dict:
    """Give back `quantity` of one line of a receipt, onto the shelf (the till chooses the refund's id)."""
    body = {"refund_id": refund_id or str(uuid.uuid4()), "lines": [{"line_no": line_no, "quantity": quantity}]}
    return created(network.post("sales", f"/receipts/{receipt['receipt_id']}/refunds", body))
