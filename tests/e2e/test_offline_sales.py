"""A till that was offline: its sales arrive late, in one batch, partly twice; each counts once, on its own day."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from tests.e2e.flows import (
    close_day,
    daily_report,
    offline_receipt,
    register_shop,
    restock,
    upload_offline,
    wait_for_stock,
)
from tests.support import wait_for

ROME = ZoneInfo("Europe/Rome")


def test_an_offline_till_uploads_two_days_of_sales_and_each_counts_once_on_its_day(network):
    # given 100 jars on the shelf, and a till that kept 10 sales of yesterday and 10 of today offline
    shop = register_shop(network, threshold="3", price="8.50")
    restock(network, shop, "100")
    now = datetime.now(timezone.utc)
    yesterday = [offline_receipt(shop, now - timedelta(days=1, minutes=n)) for n in range(10)]
    today = [offline_receipt(shop, now - timedelta(minutes=n)) for n in range(10)]
    # the first five got through before the connection dropped
    first = upload_offline(network, yesterday[:5])
    assert first["created"] == 5

    # when the connection is back it sends everything, newest first, with one receipt it garbled
    garbled = {**offline_receipt(shop, now), "payment_method": "barter"}
    result = upload_offline(network, today[::-1] + yesterday[::-1] + [garbled])
    assert (result["created"], result["duplicates"], result["rejected"]) == (15, 5, 1)
    assert result["results"][-1]["errors"] == {"payment_method": ["Must be one of: cash, card, other."]}

    # then the stock falls once per sale ...
    wait_for_stock(network, shop, Decimal("80"))

    # ... and the reports put each sale on the day it happened in Rome, not the day it arrived
    days = {}
    for receipt in yesterday + today:
        day = datetime.fromisoformat(receipt["sold_at"]).astimezone(ROME).date().isoformat()
        days[day] = days.get(day, Decimal(0)) + Decimal("8.50")

    def reported():
        report = daily_report(network, "producer", shop["producer"]["id"])
        assert report["pending_keys"] == 0
        by_day = {row["business_date"]: Decimal(row["gross"]) for row in report["rows"]}
        assert by_day == days, by_day
        return True

    wait_for(reported, timeout=30, interval=0.3, message="the producer's daily report")

    # and once yesterday is closed, a sale of yesterday that turns up later is an after-close correction
    closing_day = (now - timedelta(days=1)).astimezone(ROME).date().isoformat()
    closed = close_day(network, shop, closing_day)
    assert closed["closed"] and closed["day"]["receipt_count"] == sum(
        1 for r in yesterday + today if datetime.fromisoformat(r["sold_at"]).astimezone(ROME).date().isoformat() == closing_day
    )
    noon = datetime.fromisoformat(closing_day).replace(hour=12, tzinfo=ROME)
    late = upload_offline(network, [offline_receipt(shop, noon)])
    assert late["results"][0]["after_close"] is True
    report = network.get("sales", f"/selling-places/{shop['place']['id']}/days/{closing_day}").json()
    assert report["corrections"]["receipt_count"] == 1 and report["day"] == closed["day"]
    wait_for_stock(network, shop, Decimal("79"))
