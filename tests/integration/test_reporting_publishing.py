"""What leaves the province office: open data with small cells hidden, files, the e-mailed report pack."""

import csv
import io
import uuid
from datetime import date, datetime
from decimal import Decimal
from email import message_from_bytes
from email.policy import default as default_policy
from fractions import Fraction

import pytest
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from openpyxl import load_workbook

from backbone.events import new_event
from deploy.network import free_port
from services.reporting import aggregates
from tests.support import wait_for
from tests.support.events import deliver
from tests.support.network_events import sold_at

DAY = date(2026, 7, 14)
#: producers per (village, sector): Dazio's handicraft has 2, the small cell to hide
PRODUCERS = {
    ("Dazio", "agri-food"): 4,
    ("Dazio", "handicraft"): 2,
    ("Dazio", "tourism-services"): 3,
    ("Civo", "agri-food"): 3,
    ("Civo", "handicraft"): 3,
    ("Civo", "tourism-services"): 5,
    ("Morbegno", "agri-food"): 6,
    ("Morbegno", "handicraft"): 4,
}


def _sale(place, village, producer, sector, gross: Decimal, day=DAY):
    line = {
        "line_no": 1,
        "product_id": uuid.uuid5(producer, sector),
        "producer_id": producer,
        "sector": sector,
        "mountain_product": True,
        "quantity": Decimal("1"),
        "unit_price": gross,
        "discount": Decimal("0.00"),
        "gross": gross,
        "vat_rate": Decimal("22"),
        "vat": (gross * 22 / 122).quantize(Decimal("0.01")),
        "flagged": False,
    }
    return new_event(
        "SaleRecorded",
        {
            "receipt_id": uuid.uuid4(),
            "selling_place_id": place,
            "village_id": village,
            "till_id": "till-1",
            "sold_at": sold_at(day),
            "business_date": day,
            "payment_method": "card",
            "total": gross,
            "vat_total": line["vat"],
            "lines": [line],
        },
        source="sales",
    )


@pytest.fixture
def province(make_app, redis_client):
    app = make_app("reporting", REPORT_PACK_TO=["ufficio@provincia.so.it"])
    villages = {name: uuid.uuid4() for name in ("Dazio", "Civo", "Morbegno")}
    places = {name: uuid.uuid4() for name in villages}
    events = []
    for name, village in villages.items():
        events.append(
            new_event(
                "VillageRegistered",
                {
                    "village_id": village,
                    "name": name,
                    "istat_code": "014025",
                    "province": "SO",
                    "population": 347 if name == "Dazio" else 1000,
                },
                source="inventory",
            )
        )
        events.append(
            new_event(
                "SellingPlaceRegistered",
                {
                    "selling_place_id": places[name],
                    "village_id": village,
                    "name": f"Bottega di {name}",
                    "timezone": "Europe/Rome",
                    "commission_rate": Decimal("15"),
                },
                source="inventory",
            )
        )
    truth = {}
    n = 0
    for (name, sector), count in PRODUCERS.items():
        total = Decimal("0")
        for _ in range(count):
            n += 1
            gross = Decimal(10 + 7 * n) + Decimal("0.35")
            events.append(_sale(places[name], villages[name], uuid.uuid4(), sector, gross))
            total += gross
        truth[(str(villages[name]), sector)] = total
    deliver(app, redis_client, *events)
    with app.extensions["db"].transaction() as session:
        while aggregates.recompute_dirty(session=session):
            pass
    return {"app": app, "client": app.test_client(), "villages": villages, "places": places, "truth": truth}


def _rank(rows: list[list[Fraction]]) -> int:
    rows = [list(r) for r in rows]
    rank, columns = 0, len(rows[0]) if rows else 0
    for column in range(columns):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][column] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][column] != 0:
                factor = rows[i][column] / rows[rank][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def derivable(table) -> set:
    """The hidden entries whose value follows linearly from the published entries and the table's sums."""
    grid = {(row["village_name"], sector): cell for row in table["rows"] for sector, cell in row["cells"].items()}
    villages = [row["village_name"] for row in table["rows"] if row["village_name"] != "Total"]
    sectors = table["sectors"]
    hidden = sorted(key for key, cell in grid.items() if cell["suppressed"])
    equations = []  # each: sum of parts - total = 0, over the hidden entries only
    for parts, total in [
        *[([(v, s) for s in sectors], (v, "total")) for v in [*villages, "Total"]],
        *[([(v, s) for v in villages], ("Total", s)) for s in [*sectors, "total"]],
    ]:
        equations.append([Fraction(1 if key in parts else -1 if key == total else 0) for key in hidden])
    base = _rank(equations)
    found = set()
    for i, key in enumerate(hidden):
        unit = [Fraction(1 if j == i else 0) for j in range(len(hidden))]
        if _rank([*equations, unit]) == base:
            found.add(key)
    return found


def test_a_sector_of_two_producers_is_hidden_and_cannot_be_derived_from_the_totals(province):
    response = province["client"].get("/open-data/sales", query_string={"from": "2026-07-01", "to": "2026-07-31"})
    assert response.status_code == 200, response.get_json()
    table = response.get_json()
    assert table["k"] == 3
    dazio = next(row for row in table["rows"] if row["village_name"] == "Dazio")
    assert dazio["cells"]["handicraft"] == {"net_sales": None, "suppressed": "primary"}
    assert sum(1 for cell in dazio["cells"].values() if cell["suppressed"]) >= 2  # a partner hides it from the row total
    assert not derivable(table)
    # what is published is true
    for row in table["rows"]:
        for sector, cell in row["cells"].items():
            if row["village"] and sector != "total" and cell["net_sales"] is not None:
                assert Decimal(cell["net_sales"]) == province["truth"].get((row["village"], sector), 0)
    grand = next(row for row in table["rows"] if row["village_name"] == "Total")["cells"]["total"]
    assert Decimal(grand["net_sales"]) == sum(province["truth"].values())


def test_k_can_be_raised_but_not_lowered(province):
    client = province["client"]
    strict = client.get("/open-data/sales", query_string={"from": "2026-07-01", "to": "2026-07-31", "k": 4}).get_json()
    civo = next(row for row in strict["rows"] if row["village_name"] == "Civo")
    assert civo["cells"]["agri-food"]["suppressed"] == "primary"
    assert not derivable(strict)
    lowered = client.get("/open-data/sales", query_string={"from": "2026-07-01", "to": "2026-07-31", "k": 2})
    assert lowered.status_code == 422 and "k" in lowered.get_json()["errors"]["query"]


def test_xlsx_has_typed_cells_and_italian_headers(province):
    response = province["client"].get(
        "/reports/sales",
        query_string={
            "from": "2026-07-01",
            "to": "2026-07-31",
            "group_by": ["village", "sector"],
            "granularity": "day",
            "format": "xlsx",
            "lang": "it",
        },
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    headers = [cell.value for cell in sheet[1]]
    assert headers[:3] == ["Periodo", "Dal", "Al"] and "Lordo (EUR)" in headers and "Comune" in headers
    first = dict(zip(headers, [cell.value for cell in sheet[2]], strict=True))
    assert isinstance(first["Dal"], datetime) and first["Dal"].date() == DAY  # a date cell, not text
    assert isinstance(first["Lordo (EUR)"], (int, float)) and first["Lordo (EUR)"] > 0  # a number, not text
    assert sheet.cell(row=2, column=headers.index("Lordo (EUR)") + 1).number_format == "#,##0.00"
    total = sum(Decimal(str(row[headers.index("Lordo (EUR)")].value)) for row in sheet.iter_rows(min_row=2))
    assert total == sum(province["truth"].values())


def test_csv_in_english(province):
    response = province["client"].get(
        "/reports/sales", query_string={"from": "2026-07-01", "to": "2026-07-31", "group_by": "village", "format": "csv"}
    )
    text = response.data.decode("utf-8-sig").splitlines()
    assert response.mimetype == "text/csv" and text[0].startswith("Period,From,To,Village id,Village,")
    assert len(text) == 1 + 3


def test_a_large_export_is_made_by_a_worker_and_downloaded_when_ready(province):
    app, client = province["app"], province["client"]
    with start_worker(app.extensions["celery"], perform_ping_check=False, pool="solo"):
        response = client.post(
            "/exports", json={"from": "2026-07-01", "to": "2026-07-31", "group_by": ["village", "producer"], "format": "xlsx"}
        )
        assert response.status_code == 202, response.get_json()
        export = response.get_json()
        assert export["status"] == "pending" and export["download"] is None
        ready = wait_for(lambda: (s := client.get(f"/exports/{export['export_id']}").get_json())["status"] == "ready" and s)
    assert ready["rows"] == sum(PRODUCERS.values())
    sheet = load_workbook(io.BytesIO(client.get(ready["download"]).data)).active
    assert sheet.max_row == 1 + sum(PRODUCERS.values())
    bad = client.post("/exports", json={"from": "2026-07-01", "to": "2026-07-31", "format": "pdf"})
    assert bad.status_code == 422 and "format" in bad.get_json()["errors"]["json"]


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def test_the_monthly_report_pack_is_mailed_to_the_province_office(province):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app = province["app"]
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
        with app.app_context():
            task = app.extensions["celery"].tasks["reporting.send_report_pack"]
            message_id = task.apply(kwargs={"month": "2026-07-01"}).get()
    finally:
        controller.stop()
    (envelope,) = mailbox.messages
    assert envelope.rcpt_tos == ["ufficio@provincia.so.it"]
    message = message_from_bytes(envelope.content, policy=default_policy)
    assert message["Message-ID"] == message_id and "2026-07" in message["Subject"]
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert set(files) == {"sales_2026-07.xlsx", "open_data_2026-07.csv", "statements_2026-07.csv"}
    sheet = load_workbook(io.BytesIO(files["sales_2026-07.xlsx"])).active
    assert sheet.max_row == 1 + len(PRODUCERS)
    open_data = {row["Comune"]: row for row in csv.DictReader(io.StringIO(files["open_data_2026-07.csv"].lstrip("\ufeff")))}
    assert open_data["Dazio"]["handicraft"] == "x" and open_data["Total"]["total"] != "x"


def test_indicators_per_village(province):
    response = province["client"].get("/reports/indicators", query_string={"from": "2026-07-01", "to": "2026-07-31"})
    assert response.status_code == 200, response.get_json()
    rows = {row["village_name"]: row for row in response.get_json()["rows"]}
    dazio = rows["Dazio"]
    assert dazio["active_producers"] == 9 and dazio["population"] == 347
    net = sum(v for (village, _), v in province["truth"].items() if village == str(province["villages"]["Dazio"]))
    assert Decimal(dazio["net_sales"]) == net
    assert Decimal(dazio["revenue_per_inhabitant"]) == (net / 347).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert Decimal(dazio["tourist_season_share"]) == Decimal("100.0")  # July is summer
    assert sum(Decimal(v) for v in dazio["sector_mix"].values()) == pytest.approx(Decimal("100"), abs=Decimal("0.2"))
    assert dazio["receipts"] == 9 and dazio["growth_last_year"] is None
