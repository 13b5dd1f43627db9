"""One sale followed through every service and task: one trace, from the shop's request on."""

import uuid
from datetime import datetime, timezone
from decimal import Decimal

from tests.e2e.flows import created, register_shop, restock, wait_for_stock
from tests.support import wait_for
from tests.support.otlp import OtlpReceiver
from tests.support.receiver import WebhookReceiver


def test_a_sale_is_one_trace_across_sales_inventory_notifications_reporting_and_their_tasks(make_network):
    with OtlpReceiver() as otlp, WebhookReceiver("change-me") as webhook:
        network = make_network()
        network.env.update({"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"})
        network.start()
        network.wait_ready()
        shop = register_shop(network, webhook_url=webhook.url, threshold="3")
        restock(network, shop, "5")

        # when a till posts a sale inside its own trace
        trace_id = uuid.uuid4().hex
        body = {
            "receipt_id": str(uuid.uuid4()),
            "selling_place_id": shop["place"]["id"],
            "till_id": "till-1",
            "sold_at": datetime.now(timezone.utc).isoformat(),
            "payment_method": "cash",
            "lines": [{"product_id": shop["product"]["id"], "quantity": "3"}],
        }
        created(network.post("sales", "/receipts", body, headers={"traceparent": f"00-{trace_id}-{'1' * 16}-01"}))
        wait_for_stock(network, shop, Decimal("2"))
        wait_for(lambda: webhook.received, timeout=30, message="the low-stock alert")

        # then the request, every event it caused and the tasks they queued are spans of that one trace
        def traced():
            spans = otlp.of_trace(trace_id)
            seen = {(span["service"], span["name"].split(" x")[0]) for span in spans}
            expected = {
                ("sales", "POST /receipts"),  # the till's request
                ("inventory", "apply SaleRecorded"),  # stock lowered (a batch, linked to the sale)
                ("notifications", "apply StockLow"),  # the alert, caused by the sale
                ("reporting", "apply SaleRecorded"),  # the facts (a batch, linked to the sale)
            }
            assert expected <= seen, seen
            assert any(s == "notifications" and "send_delivery" in n for s, n in seen), seen  # the Celery task
            return True

        wait_for(traced, timeout=60, interval=0.5, message="the spans of the sale's trace")
        # ... and the log lines written while handling it say so (the alert's delivery task here)
        network.close()
        task_lines = [
            line for line in network.log_tail("notifications-worker", lines=10_000).splitlines() if "send_delivery" in line
        ]
        assert any(f'"trace_id": "{trace_id}"' in line for line in task_lines)
