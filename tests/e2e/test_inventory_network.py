"""Inventory in the whole network: an early alert from the days of cover, goods moved between villages."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from tests.e2e.flows import alerts, created, on_hand, producer_stock, register_shop, restock, sell, sell_at, wait_for_stock
from tests.support import wait_for


def test_a_producer_who_needs_five_days_is_alerted_before_the_threshold_and_sees_where_the_goods_are(network):
    # given a producer who needs five days to bring honey, 20 jars on the shelf, threshold 2, target 20
    shop = register_shop(network, threshold="2")
    producer = shop["producer"]
    details = {key: producer[key] for key in ("name", "sector", "home_village_id", "webhook_url")}
    updated = created(network.put("inventory", f"/producers/{producer['id']}", {**details, "lead_time_days": 5}), 200)
    assert updated["revision"] == 2 and updated["lead_time_days"] == 5
    restock(network, shop, "20")
    stock_url = f"/selling-places/{shop['place']['id']}/stock/{shop['product']['id']}"
    created(network.put("inventory", stock_url, {"reorder_threshold": "2", "target_level": "20"}), 200)

    # when a jar a day sold over the last two weeks reaches the shelf (a till that synced late) ...
    now = datetime.now(timezone.utc)
    for day in range(14, 0, -1):
        sell_at(network, shop, "1", now - timedelta(days=day))
    wait_for_stock(network, shop, Decimal("6"))
    assert alerts(network, shop) == []  # six days of cover: enough for five days of lead time

    # ... and one more jar sells today
    sell(network, shop, "1")
    wait_for_stock(network, shop, Decimal("5"))

    # then the producer is told now, with 5 jars left (above the threshold of 2): 4.7 days of cover
    def alerted():
        found = alerts(network, shop)
        assert len(found) == 1, found
        return found[0]

    alert = wait_for(alerted, timeout=30, interval=0.2, message="the early low-stock alert")
    assert (alert["kind"], alert["on_hand"], alert["threshold"], alert["suggested_quantity"]) == (
        "low_stock",
        "5.000",
        "2.000",
        "15.000",
    )
    stock = network.get("inventory", stock_url).json()
    assert stock["low_reason"] == "days_of_cover" and stock["days_of_cover"] == "4.700"

    # and when two jars go to another village's shop, the producer sees both shelves
    morbegno = created(
        network.post(
            "inventory", "/villages", {"name": "Morbegno", "istat_code": "014045", "province": "SO", "population": 12300}
        )
    )
    other = created(
        network.post(
            "inventory",
            "/selling-places",
            {"village_id": morbegno["id"], "name": "Punto vendita Morbegno", "commission_rate": "20"},
        )
    )
    moved = created(
        network.post(
            "inventory",
            f"/selling-places/{shop['place']['id']}/transfers",
            {"to_selling_place_id": other["id"], "lines": [{"product_id": shop["product"]["id"], "quantity": "2"}]},
        )
    )
    assert (moved["lines"][0]["on_hand_from"], moved["lines"][0]["on_hand_to"]) == ("3.000", "2.000")
    assert on_hand(network, shop) == Decimal(3)
    where = {(row["village_name"], row["on_hand"]) for row in producer_stock(network, shop)}
    assert where == {("Dazio", "3.000"), ("Morbegno", "2.000")}
    assert len(alerts(network, shop)) == 1  # still the same low episode
