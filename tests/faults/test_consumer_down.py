"""Fault 1: a consumer down while 1,000 events are produced, then restarted: every one applied once."""

from datetime import datetime, timezone
from decimal import Decimal

from deploy.invariants import check
from tests.e2e.flows import (
    alerts,
    ledger,
    offline_receipt,
    on_hand,
    register_shop,
    restock,
    upload_offline,
    wait_for_stock,
    wait_until_quiet,
)


def test_inventory_consumer_down_while_1000_sales_are_posted_then_nothing_is_lost_or_doubled(network, redis_client, prefix):
    # given 1,200 jars on the shelf (threshold 250) and the inventory consumer stopped
    shop = register_shop(network, threshold="250")
    restock(network, shop, "1200")
    wait_for_stock(network, shop, Decimal("1200"))
    network.stop("inventory-consumer")

    # when 1,000 sales are posted (1,000 SaleRecorded events), in tills' batches
    now = datetime.now(timezone.utc)
    receipts = [offline_receipt(shop, now) for _ in range(1000)]
    for start in range(0, 1000, 250):
        assert upload_offline(network, receipts[start : start + 250])["created"] == 250
    assert on_hand(network, shop) == Decimal("1200")  # nobody applied them yet

    # then, once the consumer is back, every sale is applied exactly once
    network.start("inventory-consumer")
    wait_for_stock(network, shop, Decimal("200"), timeout=120)
    sales = [m for m in ledger(network, shop) if m["cause"] == "sale"]
    assert len(sales) == 1000 and len({m["reference"] for m in sales}) == 1000
    wait_until_quiet(network, redis_client, prefix, timeout=120)
    assert [a["kind"] for a in alerts(network, shop)] == ["low_stock"]  # crossed once, alerted once
    report = check(network.settings)
    assert report.ok, "\n".join(map(str, report.differences))
    assert report.checked["sales"] == 1000
