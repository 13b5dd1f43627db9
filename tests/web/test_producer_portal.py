"""The producer portal in a real browser: the monthly statement as PDF, alert preferences, both languages."""

import uuid
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.flows import created
from tests.support import wait_for
from tests.web.support import assert_labelled, restock, screenshots, shop, sign_in

pytestmark = pytest.mark.e2e

ROME = ZoneInfo("Europe/Rome")


def test_a_producer_downloads_last_months_statement_and_sets_how_alerts_reach_them(network, browser):
    # given a producer who sold 2 jars last month, and that month's statements issued
    civo = shop(
        network, village_name="Civo", place_name="Bottega di Civo", products=[{"name": "Miele di rododendro", "price": "9.00"}]
    )
    restock(network, civo, {"Miele di rododendro": "10"})
    producer_id = civo["producers"]["agri-food"]["id"]
    last_month = (datetime.now(ROME).date().replace(day=1) - timedelta(days=1)).replace(day=10)
    sale = {
        "receipt_id": str(uuid.uuid4()),
        "selling_place_id": civo["place"]["id"],
        "till_id": "till-1",
        "sold_at": datetime.combine(last_month, time(11), ROME).isoformat(),
        "payment_method": "cash",
        "lines": [{"product_id": civo["products"][0]["id"], "quantity": "2"}],
    }
    created(network.post("sales", "/receipts", sale))
    month = f"{last_month:%Y-%m}"

    def counted():
        params = {"from": str(last_month.replace(day=1)), "to": str(last_month)}
        report = network.get("reporting", f"/producers/{producer_id}/sales", params=params).json()
        assert report["pending_keys"] == 0 and [row["gross"] for row in report["rows"]] == ["18.00"], report
        return True

    wait_for(counted, timeout=90, interval=0.5, message="reporting to count last month's sale")
    issued = created(network.post("reporting", "/settlements", {"month": month}))
    (statement,) = [s for s in issued if s["producer_id"] == producer_id]

    # when the producer signs in (the front page, as a phone and a desktop show it)
    producer_key = network.issue_key("producer", producer_id=producer_id)
    page = browser().new_page()
    page.goto(f"{network.web_url}/producer")
    page.wait_for_selector("#sign-in:not([hidden])")
    screenshots(page, "sign-in")
    sign_in(network, page, producer_key, "/producer")

    # then last month's statement is there, and its PDF downloads
    button = page.wait_for_selector(f"button[data-statement-id='{statement['statement_id']}']")
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == f"statement_{month}_{statement['statement_id']}.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    # when they switch the page to English and ask for alerts by e-mail in English, as a daily digest
    assert page.text_content("h1 [data-i18n='producer.title']") == "Area produttori"
    page.click("#language")
    page.wait_for_selector("html[lang='en']")
    assert page.text_content("h1 [data-i18n='producer.title']") == "Producer portal"
    page.wait_for_selector("#preferences-form[data-loaded='true']")
    page.select_option("#pref-language", "en")
    page.check("#preferences-form input[name='channels'][value='email']")
    page.select_option("#pref-mode", "digest")
    page.fill("#pref-email", "miele@rododendro.example")
    page.fill("#pref-quiet-from", "21:30")
    page.fill("#pref-quiet-until", "07:00")
    page.click("#preferences-form button[type='submit']")
    page.wait_for_selector("#toast.ok.shown")

    # then notifications has them, and the page stays in English after a reload
    preferences = created(network.get("notifications", f"/producers/{producer_id}/preferences"), 200)
    assert preferences["language"] == "en" and preferences["channels"] == ["email"] and preferences["delivery_mode"] == "digest"
    assert preferences["contacts"]["email"] == "miele@rododendro.example"
    assert preferences["quiet_hours"] == {"from": "21:30", "until": "07:00"}
    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    assert page.text_content("h1 [data-i18n='producer.title']") == "Producer portal"

    # ... and a wrong address is refused, naming the field, and nothing changes
    page.wait_for_selector("#preferences-form[data-loaded='true']")
    page.fill("#pref-email", "not an address")
    page.click("#preferences-form button[type='submit']")
    page.wait_for_selector("#pref-email[aria-invalid='true']")
    assert created(network.get("notifications", f"/producers/{producer_id}/preferences"), 200)["contacts"]["email"] == (
        "miele@rododendro.example"
    )
    assert_labelled(page)
    assert not browser.errors, browser.errors
