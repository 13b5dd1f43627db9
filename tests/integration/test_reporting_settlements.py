"""Monthly settlement statements, their immutability, late sales as adjustments, SEPA and PDF."""

import json
import random
import xml.etree.ElementTree as etree
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema

from services.reporting import aggregates
from tests.support.events import deliver
from tests.support.network_events import catalogue, cents, days, refund, sale

JULY, AUGUST = date(2026, 7, 1), date(2026, 8, 1)
DEBTOR_IBAN = "IT04C0306909606100000063366"
PAIN_001 = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


@pytest.fixture
def world(make_app, redis_client):
    rng = random.Random(61)
    cat = catalogue(rng, villages=2, producers=6)
    app = make_app("reporting", SEPA_DEBTOR_IBAN=DEBTOR_IBAN, SEPA_DEBTOR_BIC="BCITITMM")
    sales = [sale(cat, rng, rng.choice(list(cat.places)), day) for day in days(JULY, date(2026, 8, 31)) if rng.random() < 0.7]
    refunds = [refund(s, date(2026, 7, 31), share=Decimal("0.5")) for s in sales[:6]] + [refund(sales[8], date(2026, 8, 2))]
    deliver(app, redis_client, *cat.events, *sales, *refunds)
    with app.extensions["db"].transaction() as session:
        while aggregates.recompute_dirty(session=session):
            pass
    return {"app": app, "cat": cat, "sales": sales, "refunds": refunds, "client": app.test_client(), "rng": rng}


def expected_statements(cat, sales, refunds, last_day, settled=frozenset()):
    """Per producer: gross, refunds, commission (per line, half-up), VAT on it, payout; lines not yet settled."""
    totals = defaultdict(lambda: defaultdict(Decimal))
    for kind, events in (("sale", sales), ("refund", refunds)):
        for event in events:
            data = event.data
            if data["business_date"] > last_day:
                continue
            rate = cat.places[data["selling_place_id"]]["commission_rate"]
            for line in data["lines"]:
                document = data["receipt_id"] if kind == "sale" else data["refund_id"]
                if (document, line["line_no"]) in settled:
                    continue
                total = totals[str(line["producer_id"])]
                commission = cents(line["gross"] * rate / 100)
                if kind == "sale":
                    total["gross"] += line["gross"]
                    total["commission"] += commission
                else:
                    total["refunded_gross"] += line["gross"]
                    total["commission"] -= commission
                total["lines"] += 1
    for total in totals.values():
        total["commission_vat"] = cents(total["commission"] * Decimal("0.22"))
        total["payout"] = total["gross"] - total["refunded_gross"] - total["commission"] - total["commission_vat"]
    return {
        producer: {name: total[name] for name in ("gross", "refunded_gross", "commission", "commission_vat", "payout", "lines")}
        for producer, total in totals.items()
    }


def _as_figures(statement):
    return {
        **{name: Decimal(statement[name]) for name in ("gross", "refunded_gross", "commission", "commission_vat", "payout")},
        "lines": statement["lines"],
    }


def _issue(client, month):
    response = client.post("/settlements", json={"month": month})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_july_statements_equal_the_oracle_and_never_change(world, redis_client):
    client, cat = world["client"], world["cat"]
    issued = _issue(client, "2026-07")
    expected = expected_statements(cat, world["sales"], world["refunds"], date(2026, 7, 31))
    assert {s["producer_id"]: _as_figures(s) for s in issued} == expected
    assert all(s["adjustments"] == 0 for s in issued)

    # a statement lists every line it settled, and adds up
    detail = client.get(f"/settlements/{issued[0]['statement_id']}").get_json()
    assert len(detail["lines_detail"]) == detail["lines"]
    sales_gross = sum(Decimal(line["gross"]) for line in detail["lines_detail"] if line["kind"] == "sale")
    assert sales_gross == Decimal(detail["gross"])

    # when a July sale arrives late and July is issued again, July's statements stay as they were
    late = sale(cat, world["rng"], next(iter(cat.places)), date(2026, 7, 15), lines=1)
    deliver(world["app"], redis_client, late)
    assert _issue(client, "2026-07") == []
    assert client.get("/settlements", query_string={"month": "2026-07"}).get_json() == sorted(
        issued, key=lambda s: s["producer_name"]
    )

    # ... and the late line is settled in August's statement, as an adjustment
    august = _issue(client, "2026-08")
    late_producer = str(late.data["lines"][0]["producer_id"])
    (statement,) = [s for s in august if s["producer_id"] == late_producer]
    assert statement["adjustments"] == 1
    settled = {
        (e.data.get("receipt_id") if e.type == "SaleRecorded" else e.data["refund_id"], line["line_no"])
        for e in world["sales"] + world["refunds"]
        if e.data["business_date"] <= date(2026, 7, 31)
        for line in e.data["lines"]
    }
    expected_august = expected_statements(cat, world["sales"] + [late], world["refunds"], date(2026, 8, 31), settled)
    assert {s["producer_id"]: _as_figures(s) for s in august} == expected_august


def test_a_month_not_over_is_refused_naming_the_month(world):
    response = world["client"].post("/settlements", json={"month": "2999-01"})
    assert response.status_code == 422
    assert "month" in response.get_json()["errors"]["json"]
    bad = world["client"].post("/settlements", json={"month": "July"})
    assert bad.status_code == 422 and "month" in bad.get_json()["errors"]["json"]


def test_the_sepa_file_validates_against_pain_001_and_pays_valid_ibans_only(world):
    client = world["client"]
    issued = _issue(client, "2026-07")
    response = client.get("/settlements/sepa", query_string={"month": "2026-07", "execution_date": "2026-08-05"})
    assert response.status_code == 200, response.get_json()
    xmlschema.XMLSchema(str(PAIN_001)).validate(response.data.decode())  # raises if invalid

    document = etree.fromstring(response.data)
    payable = [s for s in issued if Decimal(s["payout"]) > 0 and s["iban_valid"]]
    skipped = [s for s in issued if Decimal(s["payout"]) > 0 and not s["iban_valid"]]
    assert payable and skipped  # the story has both
    assert document.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == str(len(payable))
    assert Decimal(document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS)) == sum(Decimal(s["payout"]) for s in payable)
    credited = {node.text for node in document.iterfind(".//p:CdtrAcct/p:Id/p:IBAN", namespaces=NS)}
    assert credited == {s["iban"] for s in payable}
    assert document.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == DEBTOR_IBAN
    assert set(json.loads(response.headers["X-Skipped-Producers"])) == {s["producer_id"] for s in skipped}


def test_the_statement_pdf_and_the_producer_scoped_views(world):
    client = world["client"]
    issued = _issue(client, "2026-07")
    mine, other = issued[0], issued[1]
    pdf = client.get(f"/settlements/{mine['statement_id']}/pdf", query_string={"lang": "it"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")

    own = client.get(f"/producers/{mine['producer_id']}/statements").get_json()
    assert [s["statement_id"] for s in own] == [mine["statement_id"]]
    assert client.get(f"/producers/{mine['producer_id']}/statements/{other['statement_id']}/pdf").status_code == 404
    assert client.get(f"/producers/{mine['producer_id']}/statements/{mine['statement_id']}/pdf").status_code == 200

    report = client.get(
        f"/producers/{mine['producer_id']}/sales", query_string={"from": "2026-07-01", "to": "2026-07-31", "group_by": "product"}
    ).get_json()
    products = {str(p) for p, v in world["cat"].products.items() if str(v["producer_id"]) == mine["producer_id"]}
    assert report["rows"] and {row["product"] for row in report["rows"]} <= products
    assert sum(Decimal(r["gross"]) for r in report["rows"]) == Decimal(mine["gross"])
    for forbidden in ({"producer": other["producer_id"]}, {"group_by": "producer"}):
        response = client.get(
            f"/producers/{mine['producer_id']}/sales", query_string={"from": "2026-07-01", "to": "2026-07-31", **forbidden}
        )
        assert response.status_code == 422


def test_the_monthly_beat_tasks_issue_statements_once_and_the_nightly_one_recomputes_a_day(world):
    app, client = world["app"], world["client"]
    schedule = app.extensions["celery"].conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} >= {
        "reporting.issue_monthly_statements",
        "reporting.send_report_pack",
        "reporting.nightly_rollups",
    }
    task = app.extensions["celery"].tasks["reporting.issue_monthly_statements"]
    with app.app_context():
        issued = task.apply(kwargs={"month": "2026-07-01"}).get()
        again = task.apply(kwargs={"month": "2026-07-01"}).get()
    assert issued == len(client.get("/settlements", query_string={"month": "2026-07"}).get_json()) > 0
    assert again == 0

    with app.app_context(), app.extensions["db"].transaction() as session:
        marked = aggregates.touch_day(session=session, day=date(2026, 7, 31))
        assert marked > 0 and marked == len(
            {
                s.data["selling_place_id"]
                for s in world["sales"] + world["refunds"]
                if s.data["business_date"] == date(2026, 7, 31)
            }
        )
