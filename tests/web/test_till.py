"""The till in a real browser: sales by barcode online and offline, a reload, and every sale reaching sales once."""

from decimal import Decimal

import pytest

from tests.support import wait_for
from tests.web.support import assert_labelled, restock, screenshots, shop, sign_in, until

pytestmark = pytest.mark.e2e

PRODUCTS = [
    {"name": "Miele di castagno", "price": "8.50", "threshold": "3"},
    {"name": "Bitto DOP", "price": "28.00", "unit": "kg", "vat_rate": "4"},
    {"name": "Pizzo al tombolo", "price": "35.00", "sector": "handicraft", "vat_rate": "22"},
]


def receipts_at(network, place_id: str) -> list[dict]:
    response = network.get("sales", "/receipts", params={"selling_place_id": place_id, "limit": 500})
    assert response.status_code == 200, response.text
    return response.json()


def scan(page, code: str) -> None:
    """What a keyboard-wedge scanner does: type the digits into the focused field, then Enter."""
    lines = page.get_attribute("#basket", "data-lines")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    until(
        page, "lines => document.querySelector('#basket').dataset.lines !== lines", arg=lines, message="the product in the basket"
    )


def record(page) -> str:
    """Ctrl+Enter: record the sale; the id of the receipt shown."""
    shown = "() => document.querySelector('#receipt-view [data-receipt-id]')?.dataset.receiptId || null"
    before = page.evaluate(shown)
    page.keyboard.press("Control+Enter")
    return until(page, f"before => ({shown})() !== before && ({shown})()", arg=before, message="a new receipt")


def test_a_clerk_sells_offline_and_online_exactly_five_sales_reach_sales_and_the_producer_sees_low_stock(network, browser):
    # given a shop with three products with barcodes, and a clerk's key for it
    dazio = shop(network, products=PRODUCTS)
    restock(network, dazio, {"Miele di castagno": "5", "Bitto DOP": "10", "Pizzo al tombolo": "4"})
    honey, cheese, lace = (product["barcode"] for product in dazio["products"])
    clerk_key = network.issue_key("clerk", selling_place_id=dazio["place"]["id"])
    context = browser()
    page = context.new_page()
    sign_in(network, page, clerk_key, "/till")
    until(page, "() => navigator.serviceWorker.controller !== null && document.body.dataset.catalogue === 'ready'")

    # when the clerk sells three products by barcode, one sale each, online
    online = []
    for code in (honey, cheese, lace):
        scan(page, code)
        online.append(record(page))
        page.wait_for_selector(f"#receipt-view [data-state='recorded'][data-receipt-id='{online[-1]}']")
    assert page.text_content("#queue") == "Tutti gli scontrini sono inviati"
    screenshots(page, "till")

    # ... the network is cut, and two more sales are made
    context.set_offline(True)
    offline = []
    for count, code in enumerate((honey, honey), start=1):
        scan(page, code)
        offline.append(record(page))
        page.wait_for_selector(f"#queue[data-waiting='{count}']")
    assert page.get_attribute("#receipt-view [data-state]", "data-state") == "waiting"
    # ... a sale is being rung up when the page is reloaded
    scan(page, lace)
    page.fill("#fiscal-document", "0042-0007")
    screenshots(page, "till-offline")
    page.reload()
    page.wait_for_selector("body[data-ready='true']")

    # then nothing was lost: two receipts wait, the basket and what was typed are still there
    assert page.get_attribute("#queue", "data-waiting") == "2"
    assert page.get_attribute("#basket", "data-lines") == "1"
    assert page.input_value("#fiscal-document") == "0042-0007"
    assert len(receipts_at(network, dazio["place"]["id"])) == 3

    # when the network returns, the two kept receipts are sent, once
    context.set_offline(False)
    page.wait_for_selector("#queue[data-waiting='0']", timeout=30_000)

    # then exactly five sales reached sales: the three online and the two kept offline
    recorded = receipts_at(network, dazio["place"]["id"])
    assert sorted(receipt["receipt_id"] for receipt in recorded) == sorted(online + offline)
    by_id = {receipt["receipt_id"]: receipt for receipt in recorded}
    assert [by_id[receipt_id]["total"] for receipt_id in online] == ["8.50", "28.00", "35.00"]
    assert [by_id[receipt_id]["total"] for receipt_id in offline] == ["8.50", "8.50"]
    assert {receipt["till_id"] for receipt in recorded} == {page.input_value("#till-id")}
    assert sum(Decimal(receipt["total"]) for receipt in recorded) == Decimal("88.50")

    # when the honey's producer opens the portal (3 of 5 jars sold: the threshold of 3 was reached, 2 are left)
    producer_key = network.issue_key("producer", producer_id=dazio["producers"]["agri-food"]["id"])
    portal = browser(locale="en-GB").new_page()
    sign_in(network, portal, producer_key, "/producer")
    honey_id = dazio["products"][0]["id"]

    # then the low-stock alert the sales caused is there, and the goods list says the honey runs low
    def alerted():
        portal.click("#refresh")
        portal.wait_for_selector("body[data-ready='true']")
        return portal.locator(f"#alert-list li[data-kind='low_stock'][data-product-id='{honey_id}']").count() == 1

    wait_for(alerted, timeout=60, interval=1, message="the low-stock alert in the portal")
    alert = portal.text_content(f"#alert-list li[data-product-id='{honey_id}']")
    assert "Low stock: Miele di castagno at Bottega di Dazio (Dazio)" in alert and "3 left" in alert, alert
    row = portal.locator(f"#goods-table tr[data-product-id='{honey_id}']")
    assert row.get_attribute("class") == "low", row.text_content()
    cells = {cell.get_attribute("data-label"): cell.text_content() for cell in row.locator("td").all()}
    assert cells["On the shelf"] == "2" and cells["Status"] == "Low: bring more", cells
    screenshots(portal, "producer")
    # ... and once marked as seen, it says so
    portal.click(f"#alert-list li[data-product-id='{honey_id}'] button")
    portal.wait_for_selector(f"#alert-list li.seen[data-product-id='{honey_id}']")
    seen = network.get("notifications", "/alerts", params={"producer_id": dazio["producers"]["agri-food"]["id"]}).json()
    assert [alert["acknowledged_at"] is not None for alert in seen] == [True]
    assert not browser.errors, browser.errors


def test_a_manager_gives_back_a_jar_of_a_sale_and_closes_the_day_at_the_till(network, browser):
    # given a shop with honey on the shelf, and its manager at the till
    dazio = shop(network, products=[{"name": "Miele di tiglio", "price": "8.50"}])
    restock(network, dazio, {"Miele di tiglio": "10"})
    honey = dazio["products"][0]
    manager_key = network.issue_key("manager", selling_place_id=dazio["place"]["id"])
    page = browser(locale="en-GB").new_page()
    sign_in(network, page, manager_key, "/till")
    until(page, "() => document.body.dataset.catalogue === 'ready'")

    # when three jars are scanned (one line of 3) and sold by card
    for count in ("1", "2", "3"):
        page.keyboard.type(honey["barcode"])
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#basket-lines tr[data-product-id='{honey['id']}'] input[value='{count}']", state="attached")
    assert page.text_content("#basket-estimate") == "€25.50"
    page.check("#payment-form input[value='card']")
    receipt_id = record(page)
    page.wait_for_selector(f"#receipt-view [data-state='recorded'][data-receipt-id='{receipt_id}']")
    assert page.get_attribute("#receipt-view [data-total]", "data-total") == "25.50"

    # ... and one jar comes back, cracked but back on the shelf
    page.click(f"#receipt-list li[data-receipt-id='{receipt_id}'] button")
    page.fill("#refund-view input[name='quantity_1']", "1")
    page.fill("#refund-view input[name='reason']", "cracked lid")
    page.click("#refund-view [data-action='refund']")

    # then sales gave back 8.50 and the jar is on the shelf again
    page.wait_for_selector("#refund-view [data-refunded='8.50']")
    refunds = network.get("sales", f"/receipts/{receipt_id}/refunds").json()
    assert [(refund["total"], refund["reason"]) for refund in refunds] == [("8.50", "cracked lid")]
    wait_for(lambda: on_hand(network, dazio, honey) == Decimal(8), timeout=30, message="the jar back on the shelf")

    # when the manager closes the day
    page.click("#day-form button[type='submit']")
    page.wait_for_selector("#day-view [data-closed='false']")
    page.click("#day-view [data-action='close-day']")
    page.click("#day-view [data-action='confirm-close']")
    page.wait_for_selector("#day-view [data-closed='true']")

    # then the day is closed at sales with the sale and the refund
    day = network.get("sales", f"/selling-places/{dazio['place']['id']}/days/{page.input_value('#day-date')}").json()
    assert day["closed"] and (day["day"]["sales_total"], day["day"]["refunds_total"], day["day"]["net_total"]) == (
        "25.50",
        "8.50",
        "17.00",
    )
    assert_labelled(page)
    assert not browser.errors, browser.errors


def on_hand(network, shop: dict, product: dict) -> Decimal:
    response = network.get("inventory", f"/selling-places/{shop['place']['id']}/stock/{product['id']}")
    assert response.status_code == 200, response.text
    return Decimal(response.json()["on_hand"])
