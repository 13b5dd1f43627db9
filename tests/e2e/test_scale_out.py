"""Two replicas of every relay, consumer and Celery worker: every event still handled once across them."""

import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from tests.e2e.flows import ledger, register_shop, report_total, restock, sell, wait_for_stock, wait_until_quiet
from tests.support import wait_for

SALES = 200


def _applied(network, name: str) -> int:
    stopped = re.findall(r'"applied": (\d+)', network.log_tail(name, lines=5000))
    assert stopped, f"{name} did not report what it applied"
    return int(stopped[-1])


def test_replicas_share_the_work_and_every_sale_counts_once(make_network, redis_client, prefix):
    network = make_network(replicas=2)
    assert {"inventory-consumer-2", "sales-relay-2", "reporting-worker-2"} <= set(network.commands)
    network.start()
    network.wait_ready()
    shop = register_shop(network, threshold="1")
    restock(network, shop, "1000")
    with ThreadPoolExecutor(max_workers=8) as pool:
        receipts = list(pool.map(lambda _: sell(network, shop, "1"), range(SALES)))
    assert len({r["receipt_id"] for r in receipts}) == SALES

    wait_for_stock(network, shop, Decimal(1000 - SALES), timeout=120)
    assert len([m for m in ledger(network, shop) if m["cause"] == "sale"]) == SALES
    wait_for(
        lambda: report_total(network, "producer", shop["producer"]["id"]) == (Decimal(SALES), Decimal("8.50") * SALES),
        timeout=120,
        interval=0.5,
        message="the reports to count every sale once",
    )
    wait_until_quiet(network, redis_client, prefix)

    # the stream carries each event once, whichever relay published it
    events = redis_client.xrange(f"{prefix}events:sales")
    ids = [re.search(r'"event_id":"([^"]+)"', fields["event"]).group(1) for _, fields in events]
    assert len(ids) == len(set(ids)) == SALES

    # both inventory consumers took part, and together they applied each sale once
    for name in ("inventory-consumer", "inventory-consumer-2"):
        network.stop(name)
    applied = [_applied(network, name) for name in ("inventory-consumer", "inventory-consumer-2")]
    assert all(count > 0 for count in applied), applied
    assert sum(applied) == SALES
