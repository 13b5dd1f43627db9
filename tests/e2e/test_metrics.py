"""After a sale has flowed through the network, every service's /metrics shows it with real values."""

import re
from decimal import Decimal

import requests

from tests.e2e.flows import register_shop, report_total, restock, sell, wait_for_stock
from tests.support import wait_for
from tests.support.receiver import WebhookReceiver


def _metrics(network, service) -> str:
    response = requests.get(f"{network.url(service)}/metrics", timeout=10)
    assert response.status_code == 200
    return response.text


def _value(text: str, name: str, **labels) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} {labels} not in /metrics")


def test_metrics_show_a_sale_flowing_through_every_stage(network):
    with WebhookReceiver("change-me") as receiver:
        shop = register_shop(network, webhook_url=receiver.url, threshold="3")
        restock(network, shop, "5")
        sell(network, shop, "3")
        wait_for_stock(network, shop, Decimal("2"))
        wait_for(lambda: len(receiver.received) == 1, timeout=30, message="the alert")
        wait_for(lambda: report_total(network, "producer", shop["producer"]["id"])[0] == Decimal("3"), timeout=30)

    def shown():
        sales = _metrics(network, "sales")
        assert _value(sales, "sp_events_published_total", type="SaleRecorded") >= 1
        assert _value(sales, "sp_http_request_duration_seconds_count", method="POST", url_rule="/receipts", status="201") >= 1
        assert _value(sales, "sp_outbox_backlog") == 0
        inventory = _metrics(network, "inventory")
        assert _value(inventory, "sp_events_consumed_total", type="SaleRecorded", outcome="applied") >= 1
        assert _value(inventory, "sp_events_published_total", type="StockLow") >= 1
        assert _value(inventory, "sp_consumer_lag", stream="sales") == 0
        assert _value(inventory, "sp_consumer_pending", stream="sales") == 0
        assert _value(inventory, "sp_dead_letters") == 0
        notifications = _metrics(network, "notifications")
        assert _value(notifications, "sp_deliveries", channel="webhook", status="sent") == 1
        assert _value(notifications, "sp_tasks_total", task="notifications.send_delivery", state="SUCCESS") >= 1
        reporting = _metrics(network, "reporting")
        assert _value(reporting, "sp_tasks_total", task="reporting.recompute_aggregates", state="SUCCESS") >= 1
        assert _value(reporting, "sp_task_seconds_total", task="reporting.recompute_aggregates") > 0
        return True

    wait_for(shown, timeout=30, interval=0.5, message="the metrics to show the sale")
