"""The province dashboard in a real browser: its charts draw exactly the reports API's figures."""

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.flows import created
from tests.support import wait_for
from tests.web.support import assert_labelled, restock, screenshots, shop, sign_in

pytestmark = pytest.mark.e2e

ROME = ZoneInfo("Europe/Rome")
#: a chart's data as Chart.js holds it: labels, and per dataset its key, the numbers drawn and the exact figures
CHART = """id => { const chart = Chart.getChart(id); return {
  labels: chart.data.labels,
  datasets: chart.data.datasets.map(d => ({key: d.key, label: d.label, data: d.data, figures: d.figures})) }; }"""


def sell(network, shop: dict, product: int, quantity: str, sold_at: datetime | None = None) -> dict:
    body = {
        "receipt_id": str(uuid.uuid4()),
        "selling_place_id": shop["place"]["id"],
        "till_id": "till-1",
        "sold_at": (sold_at or datetime.now(ROME)).isoformat(),
        "payment_method": "card",
        "lines": [{"product_id": shop["products"][product]["id"], "quantity": quantity}],
    }
    return created(network.post("sales", "/receipts", body))


def report(network, analyst_key: str, **params) -> dict:
    response = network.request("GET", "reporting", "/reports/sales", api_key=analyst_key, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def drawn(chart: dict) -> dict:
    """(label, series key) -> the exact figure a chart draws there; the number drawn must be that figure."""
    figures = {}
    for dataset in chart["datasets"]:
        for index, figure in enumerate(dataset["figures"]):
            if figure is not None:
                assert dataset["data"][index] == float(figure), (dataset, index)
                figures[(chart["labels"][index], dataset["key"])] = figure
    return figures


def test_the_dashboard_draws_the_reports_apis_figures_for_the_villages_chosen(network, browser):
    # given two villages: honey and lace sold in Dazio (one jar last month, one given back), cheese in Civo
    dazio = shop(
        network,
        village_name="Dazio",
        products=[
            {"name": "Miele", "price": "8.50"},
            {"name": "Pizzo", "price": "35.00", "sector": "handicraft", "vat_rate": "22"},
        ],
    )
    civo = shop(
        network, village_name="Civo", place_name="Bottega di Civo", products=[{"name": "Casera", "price": "16.50", "unit": "kg"}]
    )
    restock(network, dazio, {"Miele": "10", "Pizzo": "3"})
    restock(network, civo, {"Casera": "20"})
    today = datetime.now(ROME).date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=15)
    sell(network, dazio, 0, "1", datetime.combine(last_month, time(10), ROME))
    honey = sell(network, dazio, 0, "2")
    sell(network, dazio, 1, "1")
    sell(network, civo, 0, "1.500")
    created(
        network.post(
            "sales",
            f"/receipts/{honey['receipt_id']}/refunds",
            {"refund_id": str(uuid.uuid4()), "lines": [{"line_no": 1, "quantity": "1"}]},
        )
    )
    analyst_key = network.issue_key("province_analyst")
    villages = [dazio["village"]["id"], civo["village"]["id"]]
    base = {"from": str(last_month.replace(day=1)), "to": str(today), "village": villages}

    def reported():
        figures = report(network, analyst_key, **base, group_by="village")
        assert figures["pending_keys"] == 0 and {row["village_name"]: row["net_sales"] for row in figures["rows"]} == {
            "Dazio": "52.00",  # 3 jars and the lace, less the jar given back
            "Civo": "24.75",
        }, figures
        return True

    wait_for(reported, timeout=90, interval=0.5, message="the reports to include every sale and refund")

    # when a province analyst shows those two villages since last month
    page = browser(locale="en-GB").new_page()
    sign_in(network, page, analyst_key, "/province")
    page.fill("#filters input[name='from']", base["from"])
    page.fill("#filters input[name='to']", base["to"])
    page.select_option("#filters select[name='village']", villages)
    page.click("#filters button[type='submit']")
    page.wait_for_selector("body[data-ready='true']")

    # then each chart draws exactly the figures the reports API gives for the same question
    by_sector = report(network, analyst_key, **base, group_by="sector", granularity="month")
    sectors_chart = page.evaluate(CHART, "chart-sectors")
    assert drawn(sectors_chart) == {(row["period"], row["sector"]): row["net_sales"] for row in by_sector["rows"]}
    assert sectors_chart["labels"] == [f"{last_month:%Y-%m}", f"{today:%Y-%m}"]
    by_village = report(network, analyst_key, **base, group_by="village", granularity="total")
    assert (
        drawn(page.evaluate(CHART, "chart-villages"))
        == {
            ("Civo", "net_sales"): "24.75",
            ("Dazio", "net_sales"): "52.00",
        }
        == {(row["village_name"], "net_sales"): row["net_sales"] for row in by_village["rows"]}
    )
    by_season = report(network, analyst_key, **base, group_by="sector", granularity="season")
    assert drawn(page.evaluate(CHART, "chart-seasons")) == {
        (row["period"], row["sector"]): row["net_sales"] for row in by_season["rows"]
    }
    # ... and so for another figure
    page.select_option("#filters select[name='measure']", "payout")
    page.click("#filters button[type='submit']")
    page.wait_for_selector("body[data-ready='true']")
    assert drawn(page.evaluate(CHART, "chart-sectors")) == {
        (row["period"], row["sector"]): row["payout"] for row in by_sector["rows"]
    }

    # ... the indicators (of every village: the API takes a period only) give the two villages' figures
    for village_id, name, net_sales in ((villages[0], "Dazio", "€52.00"), (villages[1], "Civo", "€24.75")):
        row = page.locator(f"#indicator-table tr[data-id='{village_id}']")
        cells = {cell.get_attribute("data-label"): cell.text_content() for cell in row.locator("th, td").all()}
        assert cells["Village"] == name and cells["Net sales"] == net_sales, cells
    # ... and the freshness is the API's watermark
    assert page.get_attribute("#freshness", "data-watermark") == by_sector["watermark"]
    assert page.get_attribute("#freshness", "data-pending") == "0"

    # ... and the CSV export is the reports API's file for the table's question
    with page.expect_download() as download:
        page.click("#export-csv")
    exported = Path(download.value.path()).read_bytes()
    query = {**base, "group_by": ["village", "sector"], "granularity": "month", "format": "csv", "lang": "en"}
    direct = network.request("GET", "reporting", "/reports/sales", api_key=analyst_key, params=query)
    assert direct.status_code == 200 and exported == direct.content
    assert b"Dazio" in exported and b"Civo" in exported and download.value.suggested_filename.endswith(".csv")
    assert sum(Decimal(row["net_sales"]) for row in by_sector["rows"]) == Decimal("76.75")
    assert_labelled(page)
    screenshots(page, "province")
    assert not browser.errors, browser.errors
