"""The village office's pages in a real browser: a delivery, a stocktake, a new selling place, a transfer, a day close."""

import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.flows import created
from tests.support import wait_for
from tests.web.support import assert_labelled, screenshots, shop, sign_in

pytestmark = pytest.mark.e2e

ROME = ZoneInfo("Europe/Rome")


def on_hand(network, place_id: str) -> dict[str, Decimal]:
    response = network.get("inventory", f"/selling-places/{place_id}/stock")
    assert response.status_code == 200, response.text
    return {line["product_name"]: Decimal(line["on_hand"]) for line in response.json()}


def add_line(page, form: str, product_id: str, quantity: str) -> None:
    """Fill the last line of a document form (adding one if the last is taken), by keyboard-reachable controls."""
    lines = page.locator(f"{form} .line")
    last = lines.nth(lines.count() - 1)
    if last.locator("select").input_value():
        page.click(f"{form} .add-line")
        last = lines.nth(lines.count() - 1)
    last.locator("select").select_option(product_id)
    last.locator("input").fill(quantity)


def test_a_village_office_records_a_delivery_a_count_a_new_place_a_transfer_and_closes_a_day(network, browser):
    # given a village with a selling place and two products, and the village office's key
    dazio = shop(network, products=[{"name": "Miele", "price": "8.50"}, {"name": "Casera", "price": "16.50", "unit": "kg"}])
    honey, cheese = (product["id"] for product in dazio["products"])
    place = dazio["place"]["id"]
    operator_key = network.issue_key("village_operator", village_id=dazio["village"]["id"])
    page = browser().new_page()
    sign_in(network, page, operator_key, "/village")
    page.wait_for_selector(f"#place-table tr[data-place-id='{place}']")

    # when the office records a delivery note of 10 jars and 2.5 kg of cheese
    page.select_option("#restock-place", place)
    page.fill("#restock-number", "DDT 118")
    add_line(page, "#restock-form", honey, "10")
    add_line(page, "#restock-form", cheese, "2,5")
    # ... (a reload on the way loses nothing typed)
    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    assert page.input_value("#restock-number") == "DDT 118" and page.locator("#restock-form .line").count() == 2
    assert page.locator("#restock-form .line select").nth(1).input_value() == cheese
    page.click("#restock-form button[type='submit']")
    page.wait_for_selector("#restock-form .result [data-delivery-id]")
    # then the stock is on the shelf
    assert on_hand(network, place) == {"Miele": Decimal(10), "Casera": Decimal("2.5")}

    # when a stocktake finds 9 jars
    page.fill(f"#stocktake-lines input[data-product-id='{honey}']", "9")
    page.click("#stocktake-form button[type='submit']")
    page.wait_for_selector("#stocktake-form .result [data-stocktake-id]")
    assert "-1" in page.text_content("#stocktake-form .result table")
    assert on_hand(network, place)["Miele"] == Decimal(9)

    # when the office opens a second selling place, with its opening hours
    page.fill("#onboard-name", "Bottega della Costiera")
    page.fill("#onboard-commission", "12,5")
    page.fill("#onboard-form input[name='hours_mon']", "08:30-12:30 15:00-19:00")
    page.click("#onboard-form button[type='submit']")
    opened = page.wait_for_selector("#onboard-form .result [data-place-id]").get_attribute("data-place-id")
    second = created(network.get("inventory", f"/selling-places/{opened}"), 200)
    assert second["commission_rate"] == "12.50" and second["opening_hours"] == {"mon": ["08:30-12:30", "15:00-19:00"]}
    assert second["village_id"] == dazio["village"]["id"]

    # ... and moves 3 jars there
    page.wait_for_selector(f"#transfer-to option[value='{opened}']", state="attached")
    page.select_option("#transfer-from", place)
    page.select_option("#transfer-to", opened)
    add_line(page, "#transfer-form", honey, "3")
    page.click("#transfer-form button[type='submit']")
    page.wait_for_selector("#transfer-form .result [data-transfer-id]")
    assert on_hand(network, place)["Miele"] == Decimal(6)
    wait_for(lambda: on_hand(network, opened).get("Miele") == Decimal(3), timeout=10, message="the jars at the new place")

    # when the day of a sale is closed from the office
    today = datetime.now(ROME).date().isoformat()
    sale = {
        "receipt_id": str(uuid.uuid4()),
        "selling_place_id": place,
        "till_id": "till-1",
        "sold_at": datetime.now(ROME).isoformat(),
        "payment_method": "cash",
        "lines": [{"product_id": honey, "quantity": "2"}],
    }
    created(network.post("sales", "/receipts", sale))
    page.select_option("#day-form select[name='selling_place_id']", place)
    page.fill("#day-form input[name='business_date']", today)
    page.click("#day-form button[type='submit']")
    page.wait_for_selector("#day-view [data-closed='false']")
    assert "17,00" in page.text_content("#day-view .figures")
    page.click("#day-view [data-action='close-day']")
    page.click("#day-view [data-action='confirm-close']")
    page.wait_for_selector("#day-view [data-closed='true']")

    # then sales has the day closed, as the office saw it
    day = created(network.get("sales", f"/selling-places/{place}/days/{today}"), 200)
    assert day["closed"] and day["day"]["receipt_count"] == 1 and day["day"]["sales_total"] == "17.00"
    assert_labelled(page)
    screenshots(page, "village")
    assert not browser.errors, browser.errors
