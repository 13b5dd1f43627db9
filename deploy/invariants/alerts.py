"""(d) Every alert that should exist exists once in notifications, with its delivery rows.

What should exist is what inventory said happened: each StockLow, StockOut and StockDiscrepancy
in its outbox is one crossing (kind, selling place, product, crossing number), and the crossing
counters of each stock row must agree with them.
"""

from __future__ import annotations

import json
from collections import Counter

import sqlalchemy as sa

from backbone.outbox import outbox
from services.inventory.models import Stock
from services.notifications.models import Alert, Delivery, Recipient
from services.notifications.recipients import channels_of
from services.notifications.service import KIND_OF_EVENT


def check(source, report) -> None:
    """Expected alerts (from inventory's outbox) against notifications' alerts and deliveries."""
    expected: dict[str, str] = {}
    crossings: Counter = Counter()
    for row in source.rows(
        "inventory", sa.select(outbox.c.event_id, outbox.c.type, outbox.c.payload).where(outbox.c.type.in_(KIND_OF_EVENT))
    ):
        data = json.loads(row.payload)["data"]
        kind = KIND_OF_EVENT[row.type]
        crossing = data.get("crossing", str(row.event_id))
        expected[f"{kind}:{data['selling_place_id']}:{data['product_id']}:{crossing}"] = str(row.event_id)
        crossings[(kind, data["selling_place_id"], data["product_id"])] += 1
    for stock in source.rows(
        "inventory", sa.select(Stock.selling_place_id, Stock.product_id, Stock.low_crossings, Stock.out_crossings)
    ):
        place, product = str(stock.selling_place_id), str(stock.product_id)
        for kind, count in (("low_stock", stock.low_crossings), ("out_of_stock", stock.out_crossings)):
            if crossings[(kind, place, product)] != count:
                report.add(
                    f"crossings_{kind}", f"{place}/{product}", count, crossings[(kind, place, product)],
                    f"the stock row counts {count} {kind} crossings, inventory published {crossings[(kind, place, product)]}",
                )  # fmt: skip

    alerts = source.rows("notifications", sa.select(Alert.id, Alert.dedupe_key, Alert.recipient_id, Alert.in_digest))
    report.checked["alerts"] = len(alerts)
    found = Counter(alert.dedupe_key for alert in alerts)
    for key, event_id in expected.items():
        if found[key] != 1:
            report.add(
                "alert_missing" if not found[key] else "alert_doubled", key, 1, found[key], f"the alert of event {event_id}"
            )
    for key in found.keys() - expected.keys():
        report.add("alert_extra", key, 0, found[key], "an alert for a crossing inventory never published")

    deliveries: dict = {}
    for row in source.rows("notifications", sa.select(Delivery.alert_id, Delivery.channel).where(Delivery.alert_id.is_not(None))):
        deliveries.setdefault(row.alert_id, Counter())[row.channel] += 1
    recipients = {}
    for alert in alerts:
        if alert.in_digest:
            continue  # told in the daily digest, not on its own
        if alert.recipient_id not in recipients:
            rows = source.rows("notifications", sa.select(Recipient).where(Recipient.id == alert.recipient_id))
            recipients[alert.recipient_id] = {channel for channel, _ in channels_of(rows[0])} if rows else set()
        sent_on = deliveries.get(alert.id, Counter())
        if recipients[alert.recipient_id] and not sent_on:
            report.add(
                "alert_undelivered",
                alert.id,
                sorted(recipients[alert.recipient_id]),
                [],
                f"alert {alert.dedupe_key} has no delivery row",
            )
        for channel, count in sent_on.items():
            if count != 1:
                report.add("delivery_doubled", f"{alert.id}/{channel}", 1, count, "one delivery per alert and channel")
