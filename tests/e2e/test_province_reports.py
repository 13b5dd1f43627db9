"""The province's report over the real network: catalogue, stock and sales events reach reporting."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from tests.e2e.flows import register_shop, restock, sell
from tests.support import wait_for


def test_a_shops_sales_reach_the_province_report_with_commission_and_stock(network):
    # given a shop keeping 15 % commission, with 5 jars of honey delivered
    shop = register_shop(network, threshold="1", price="8.50")
    restock(network, shop, "5")

    # when the clerk sells 3 jars
    sell(network, shop, "3")

    # then the province report shows the sale, the commission at the shop's rate and the stock figures
    today = datetime.now(timezone.utc).date()
    params = {
        "from": str(today - timedelta(days=2)),
        "to": str(today + timedelta(days=1)),
        "group_by": "selling_place",
        "selling_place": shop["place"]["id"],
    }

    def reported():
        response = network.get("reporting", "/reports/sales", params=params)
        assert response.status_code == 200, response.text
        rows = response.json()["rows"]
        assert rows and Decimal(rows[0]["restocked_quantity"]) == 5 and Decimal(rows[0]["gross"]) == Decimal("25.50"), rows
        return rows[0]

    row = wait_for(reported, timeout=60, interval=0.3, message="the province report to include the sale")
    assert row["selling_place_name"] == "Bottega di Dazio" and row["receipts"] == 1
    assert Decimal(row["commission"]) == Decimal("3.83")  # 15 % of 25.50, half-up
    assert Decimal(row["commission_vat"]) == Decimal("0.84")
    assert Decimal(row["payout"]) == Decimal("25.50") - Decimal("3.83") - Decimal("0.84")
    assert row["sell_through"] == "60.0"
