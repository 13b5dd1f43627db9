"""Nothing counted twice: every event delivered three times changes nothing (the faults are in tests/faults)."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from backbone import contract, streams
from tests.e2e.flows import (
    alerts,
    groups,
    ledger,
    on_hand,
    register_shop,
    report_total,
    restock,
    sell,
    wait_for_stock,
    wait_until_quiet,
)
from tests.support import wait_for
from tests.support.receiver import WebhookReceiver

SECRET = "change-me"


def _sell_many(network, shop, count: int) -> list[dict]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda _: sell(network, shop, "1"), range(count)))


def _state(network, shop, receiver) -> dict:
    return {
        "on_hand": on_hand(network, shop),
        "ledger": ledger(network, shop),
        "alerts": [
            {k: v for k, v in alert.items() if k != "deliveries"}
            | {"deliveries": [(d["channel"], d["status"], d["attempts"]) for d in alert["deliveries"]]}
            for alert in alerts(network, shop)
        ],
        "webhooks": len(receiver.received),
        "producer_report": report_total(network, "producer", shop["producer"]["id"]),
        "sector_report": report_total(network, "sector", "agri-food"),
        "sales_catalogue": network.get("sales", f"/products/{shop['product']['id']}").json(),
    }


def test_every_event_delivered_three_times_to_every_consumer_changes_nothing(network, redis_client, prefix):
    with WebhookReceiver(SECRET) as receiver:
        # given a history with every kind of event: catalogue, restock, sales, low, out, discrepancy
        shop = register_shop(network, webhook_url=receiver.url, threshold="3")
        restock(network, shop, "10")
        _sell_many(network, shop, 8)  # 2 left: StockLow
        for _ in range(3):  # -1: StockOut, then StockDiscrepancy
            sell(network, shop, "1")
        wait_for_stock(network, shop, Decimal("-1"))
        wait_for(lambda: len(receiver.received) == 2, timeout=30, message="low and out alerts delivered")
        wait_until_quiet(network, redis_client, prefix)
        before = _state(network, shop, receiver)
        assert [a["kind"] for a in before["alerts"]] and {a["kind"] for a in before["alerts"]} == {
            "low_stock",
            "out_of_stock",
            "discrepancy",
        }
        read_before = {key: info["entries-read"] for key, info in groups(redis_client, prefix).items()}

        # when every event on every stream is delivered twice more
        added = {}
        for family in contract.SUBSCRIPTIONS:
            key = streams.stream_key(prefix, family)
            entries = redis_client.xrange(key)
            for _ in range(2):
                for _, fields in entries:
                    redis_client.xadd(key, fields)
            added[family] = 2 * len(entries)
        wait_until_quiet(network, redis_client, prefix)

        # then every consumer group read them all, and nothing changed anywhere
        for (family, group), info in groups(redis_client, prefix).items():
            assert info["entries-read"] == read_before[(family, group)] + added[family], (family, group)
        assert _state(network, shop, receiver) == before
        assert len(receiver.received) == 2
