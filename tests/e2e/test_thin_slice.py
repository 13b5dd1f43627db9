"""The thin slice of the whole network, through the public APIs and the real event flow."""

from decimal import Decimal

from tests.e2e.flows import (
    on_hand,
    register_shop,
    report_total,
    restock,
    sell,
    wait_for_stock,
)
from tests.support import wait_for
from tests.support.receiver import WebhookReceiver

SECRET = "change-me"  # the notifications service's default webhook secret


def test_a_sale_lowers_stock_alerts_the_producer_and_reaches_the_reports(network):
    with WebhookReceiver(SECRET) as receiver:
        # given a shop in Dazio selling a producer's honey, threshold 3, with 5 jars on the shelf
        shop = register_shop(network, webhook_url=receiver.url, threshold="3", price="8.50")
        restock(network, shop, "5")
        assert on_hand(network, shop) == Decimal("5")

        # when the clerk sells 3 jars
        receipt = sell(network, shop, "3")
        assert receipt["total"] == "25.50"
        assert receipt["lines"][0]["producer_id"] == shop["producer"]["id"]

        # then inventory lowers the stock below the threshold ...
        wait_for_stock(network, shop, Decimal("2"))

        # ... notifications records one low-stock alert for the producer and delivers it by webhook
        def alert():
            alerts = network.get("notifications", "/alerts", params={"producer_id": shop["producer"]["id"]}).json()
            assert len(alerts) == 1 and alerts[0]["deliveries"] and alerts[0]["deliveries"][0]["status"] == "sent", alerts
            return alerts[0]

        found = wait_for(alert, timeout=30, interval=0.2, message="the low-stock alert to be delivered")
        assert found["kind"] == "low_stock"
        assert found["on_hand"] == "2.000" and found["threshold"] == "3.000"
        assert found["suggested_quantity"] == "4.000"  # up to twice the threshold when no target is set
        assert len(receiver.received) == 1 and not receiver.rejected
        message = receiver.received[0]
        assert message["alert"]["product_id"] == shop["product"]["id"]
        assert "Miele di castagno" in message["message"] and "Bottega di Dazio" in message["message"]

        # ... and the per-producer and per-sector daily aggregates include the sale
        def reported(group_by, key):
            assert report_total(network, group_by, key) == (Decimal("3"), Decimal("25.50"))
            return True

        wait_for(lambda: reported("producer", shop["producer"]["id"]), timeout=30, interval=0.3, message="producer report")
        wait_for(lambda: reported("sector", "agri-food"), timeout=30, interval=0.3, message="sector report")
