"""A till that was offline: its sales arrive late, in one batch, partly twice; each counts once, on its own day."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from tests.e2e.flows import (
    close_day,
    offline_receipt,
    register_shop,
    restock,
    upload_offline,
    wait_for_stock,
)

ROME = ZoneInfo("Europe/Rome")


def _day_of(receipt: dict) -> str:
    return datetime.fromisoformat(receipt["sold_at"]).astimezone(ROME).date().isoformat()


def test_an_offline_till_uploads_two_days_of_sales_and_each_counts_once_on_its_day(network):
    # given 100 jars on the shelf, and a till that kept 10 sales of yesterday and 10 of today offline
    shop = register_shop(network, threshold="3", price="8.50")
    restock(network, shop, "100")
    now = datetime.now(timezone.utc)
    yesterday = [offline_receipt(shop, now - timedelta(days=1, minutes=n)) for n in range(10)]
    today = [offline_receipt(shop, now - timedelta(minutes=n)) for n in range(10)]
    # the first five got through before the connection dropped
    assert upload_offline(network, yesterday[:5])["created"] == 5

    # when the connection is back it sends everything, newest first, with one receipt it garbled
    garbled = {**offline_receipt(shop, now), "payment_method": "barter"}
    result = upload_offline(network, today[::-1] + yesterday[::-1] + [garbled])
    assert (result["created"], result["duplicates"], result["rejected"]) == (15, 5, 1)
    assert result["results"][-1]["errors"] == {"payment_method": ["Must be one of: cash, card, other."]}

    # then the stock falls once per sale ...
    wait_for_stock(network, shop, Decimal("80"))

    # ... and each sale is on the day it happened in Rome, not the day it arrived
    by_day: dict[str, set[str]] = {}
    for receipt in yesterday + today:
        by_day.setdefault(_day_of(receipt), set()).add(receipt["receipt_id"])
    for day, receipt_ids in by_day.items():
        report = network.get("sales", f"/selling-places/{shop['place']['id']}/days/{day}").json()
        assert {r["receipt_id"] for r in report["day"]["receipts"]} == receipt_ids
        assert Decimal(report["day"]["sales_total"]) == Decimal("8.50") * len(receipt_ids)

    # and once yesterday is closed, a sale of yesterday that turns up later is an after-close correction
    closing_day = _day_of(yesterday[0])
    closed = close_day(network, shop, closing_day)
    assert closed["closed"] and closed["day"]["receipt_count"] == len(by_day[closing_day])
    noon = datetime.fromisoformat(closing_day).replace(hour=12, tzinfo=ROME)
    late = upload_offline(network, [offline_receipt(shop, noon)])
    assert late["results"][0]["after_close"] is True
    report = network.get("sales", f"/selling-places/{shop['place']['id']}/days/{closing_day}").json()
    assert report["corrections"]["receipt_count"] == 1 and report["day"] == closed["day"]
    wait_for_stock(network, shop, Decimal("79"))  # a correction is still a sale: the jar left the shelf
