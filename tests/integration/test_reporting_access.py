"""Who reads what in reporting: analysts the network, village operators their village, producers their own."""

import csv
import io
import random
import re
import uuid
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from celery.contrib.testing.worker import start_worker

from backbone.events import new_event
from services.reporting import aggregates
from services.reporting.models import Statement
from tests.support import wait_for
from tests.support.events import deliver
from tests.support.network_events import catalogue, days, sale, sold_at

JULY = date(2026, 7, 1)
PERIOD = {"from": "2026-07-01", "to": "2026-07-31"}

#: every route of reporting, and the roles besides administrators that may call it
POLICY = {
    ("get", "/reports/daily"): {"province_analyst", "producer"},
    ("get", "/reports/sales"): {"province_analyst", "village_operator", "producer"},
    ("get", "/reports/indicators"): {"province_analyst", "village_operator"},
    ("get", "/open-data/sales"): {"province_analyst", "village_operator"},
    ("post", "/exports"): {"province_analyst", "village_operator", "producer"},
    ("get", "/exports/{export_id}"): {"province_analyst", "village_operator", "producer"},
    ("get", "/exports/{export_id}/file"): {"province_analyst", "village_operator", "producer"},
    ("get", "/settlements"): {"province_analyst", "producer"},
    ("post", "/settlements"): set(),
    ("get", "/settlements/{statement_id}"): {"province_analyst", "producer"},
    ("get", "/settlements/{statement_id}/pdf"): {"province_analyst", "producer"},
    ("get", "/settlements/sepa"): set(),
    ("get", "/producers/{producer_id}/statements"): {"province_analyst", "producer"},
    ("get", "/producers/{producer_id}/statements/{statement_id}/pdf"): {"province_analyst", "producer"},
    ("get", "/producers/{producer_id}/sales"): {"province_analyst", "producer"},
    ("get", "/audit"): set(),
}
SCOPED_ROLES = {
    "clerk": "selling_place_id",
    "manager": "selling_place_id",
    "producer": "producer_id",
    "village_operator": "village_id",
    "province_analyst": None,
}


def _restocked(place, product_id, product):
    return new_event(
        "StockRestocked",
        {
            "selling_place_id": place,
            "product_id": product_id,
            "producer_id": product["producer_id"],
            "delivery_id": uuid.uuid4(),
            "quantity": Decimal("40"),
            "on_hand": Decimal("40"),
        },
        source="inventory",
        occurred_at=sold_at(JULY, 8),
    )


@pytest.fixture
def world(make_app, redis_client, token_for):
    """Two villages with a selling place each, six producers selling in both, a month of sales, its statements."""
    rng = random.Random(7)
    cat = catalogue(rng, villages=2, producers=6)
    app = make_app("reporting")
    restocks = [_restocked(place, product_id, product) for place in cat.places for product_id, product in cat.products.items()]
    sales = [sale(cat, rng, place, day) for day in days(JULY, date(2026, 7, 31)) for place in cat.places if rng.random() < 0.7]
    deliver(app, redis_client, *cat.events, *restocks, *sales)
    with app.extensions["db"].transaction() as session:
        while aggregates.recompute_dirty(session=session):
            pass
    client = app.test_client()
    issued = client.post("/settlements", json={"month": "2026-07"})
    assert issued.status_code == 201 and len(issued.get_json()) == len(cat.producers)

    def headers(role, key_id="test-key", **scope):
        return {"Authorization": f"Bearer {token_for(role, 'reporting', key_id=key_id, **scope)}"}

    villages, producers = list(cat.villages), list(cat.producers)
    return SimpleNamespace(
        app=app,
        client=client,
        cat=cat,
        headers=headers,
        villages=villages,
        producers=producers,
        statements={s["producer_id"]: s["statement_id"] for s in issued.get_json()},
        analyst=headers("province_analyst", key_id="analyst"),
        operator=headers("village_operator", key_id="operator-a", village_id=villages[0]),
        producer=headers("producer", key_id="producer-0", producer_id=producers[0]),
    )


def _place_of(world, village):
    return next(place for place, p in world.cat.places.items() if p["village_id"] == village)


def _report(world, headers, **params):
    response = world.client.get("/reports/sales", query_string={**PERIOD, **params}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# -- every route: a token, and a role the policy names ----------------------------------------------


def test_every_route_needs_a_token_and_answers_403_to_a_role_the_policy_does_not_name(world):
    client = world.client
    spec = client.get("/openapi.json").get_json()
    routes = {
        (method, path)
        for path, item in spec["paths"].items()
        if not path.startswith("/health")
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert routes == set(POLICY), "a route without a decided policy, or a policy for a route that is gone"
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    for (method, path), allowed in POLICY.items():
        url = re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), path)
        anonymous = client.open(url, method=method.upper(), headers={"Authorization": ""})
        assert anonymous.status_code == 401, (method, path)
        for role, scope in SCOPED_ROLES.items():
            headers = world.headers(role, **({scope: uuid.uuid4()} if scope else {}))
            status = client.open(url, method=method.upper(), headers=headers, json={} if method == "post" else None).status_code
            assert (status == 403) == (role not in allowed), (method, path, role, status)


# -- province analyst: reads every figure, writes nothing ------------------------------------------


def test_a_province_analyst_reads_the_whole_network_and_issues_nothing(world):
    everything = {**PERIOD, "group_by": ["village", "producer"]}
    assert _report(world, world.analyst, **everything)["rows"] == _report(world, {}, **everything)["rows"]
    month = {"month": "2026-07"}
    statements = world.client.get("/settlements", query_string=month, headers=world.analyst).get_json()
    assert len(statements) == len(world.producers)
    one = world.statements[str(world.producers[3])]
    assert world.client.get(f"/settlements/{one}", headers=world.analyst).status_code == 200
    assert world.client.get("/open-data/sales", query_string=PERIOD, headers=world.analyst).status_code == 200

    issue = world.client.post("/settlements", json={"month": "2026-06"}, headers=world.analyst)
    sepa = world.client.get("/settlements/sepa", query_string=month, headers=world.analyst)
    assert issue.status_code == sepa.status_code == 403
    assert issue.get_json()["message"] == "Your role may not do this."
    with world.app.extensions["db"].transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Statement)) == len(world.producers)


# -- village operator: their village's figures, whatever the filters say ----------------------------


def test_a_village_operator_reads_the_figures_of_their_village_only(world):
    mine, theirs = world.villages
    grouped = {"group_by": ["village", "selling_place", "producer"], "granularity": "week", "compare": "previous"}
    rows = _report(world, world.operator, **grouped)["rows"]
    assert rows and {row["village"] for row in rows} == {str(mine)}
    network = _report(world, {}, **grouped)["rows"]
    assert rows == [row for row in network if row["village"] == str(mine)]  # sales, receipts, stock figures alike
    by_village = _report(world, world.operator, group_by="village")["rows"]
    assert by_village == [row for row in _report(world, {}, group_by="village")["rows"] if row["village"] == str(mine)]
    assert by_village[0]["restocked_quantity"] != "0.000"


def test_a_village_operator_naming_another_village_or_its_place_finds_nothing(world):
    _, theirs = world.villages
    assert _report(world, {}, village=str(theirs))["rows"]
    assert _report(world, world.operator, village=str(theirs))["rows"] == []
    assert _report(world, world.operator, selling_place=str(_place_of(world, theirs)))["rows"] == []


def test_a_village_operators_indicators_are_their_villages(world):
    mine, _ = world.villages
    for level in ("village", "selling_place"):
        query = {**PERIOD, "level": level}
        own = world.client.get("/reports/indicators", query_string=query, headers=world.operator).get_json()["rows"]
        network = world.client.get("/reports/indicators", query_string=query).get_json()["rows"]
        places = {str(p) for p, place in world.cat.places.items() if place["village_id"] == mine}
        assert own and own == [row for row in network if row.get("village", row.get("selling_place")) in places | {str(mine)}]


def test_a_village_operator_reads_the_open_data_but_no_network_wide_table_or_statement(world):
    assert world.client.get("/open-data/sales", query_string=PERIOD, headers=world.operator).status_code == 200
    daily = world.client.get("/reports/daily", query_string={**PERIOD, "group_by": "producer"}, headers=world.operator)
    statements = world.client.get("/settlements", query_string={"month": "2026-07"}, headers=world.operator)
    producer_sales = world.client.get(f"/producers/{world.producers[0]}/sales", query_string=PERIOD, headers=world.operator)
    assert daily.status_code == statements.status_code == producer_sales.status_code == 403


def test_a_village_operators_report_is_filtered_by_the_database(world):
    """The scope is a condition of every query on the aggregates, not a filter applied to rows in Python."""
    mine, _ = world.villages
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if re.search(r"\b(sales_month|sales_village_month|sales_day|receipts_day|stock_fact)\b", statement):
            values = parameters.values() if isinstance(parameters, dict) else parameters
            seen.append((statement, {str(value) for value in values}, cursor.rowcount))

    engine = world.app.extensions["db"].engine
    sa.event.listen(engine, "after_cursor_execute", record)
    try:
        _report(world, world.operator, group_by=["selling_place", "producer"])
        scoped = list(seen)
        seen.clear()
        _report(world, {}, group_by=["selling_place", "producer"])
    finally:
        sa.event.remove(engine, "after_cursor_execute", record)
    assert scoped and all(str(mine) in values for _, values, _ in scoped)
    assert sum(rows for *_, rows in scoped) < sum(rows for *_, rows in seen)


# -- producer: their own figures and statements; another producer does not exist -------------------


def test_a_producer_reads_their_own_daily_figures_only(world):
    own, other = world.producers[:2]
    query = {**PERIOD, "group_by": "producer"}
    rows = world.client.get("/reports/daily", query_string=query, headers=world.producer).get_json()["rows"]
    assert rows and {row["key"] for row in rows} == {str(own)}
    naming_another = world.client.get("/reports/daily", query_string={**query, "key": str(other)}, headers=world.producer)
    assert naming_another.status_code == 200 and naming_another.get_json()["rows"] == []
    sectors = world.client.get("/reports/daily", query_string={**PERIOD, "group_by": "sector"}, headers=world.producer)
    assert sectors.status_code == 403


def test_a_producers_sales_report_holds_their_goods_only(world):
    own, other = world.producers[:2]
    report = _report(world, world.producer, group_by=["selling_place", "product"])
    assert report["rows"] and report["receipts_counted"] == "per product and selling place"
    products = {str(p) for p, product in world.cat.products.items() if product["producer_id"] == own}
    assert {row["product"] for row in report["rows"]} <= products
    assert report["rows"] == _report(world, {}, group_by=["selling_place", "product"], producer=str(own))["rows"]
    assert _report(world, world.producer, producer=str(other))["rows"] == []
    by_place = _report(world, world.producer, group_by="selling_place")["rows"]
    assert by_place == _report(world, {}, group_by="selling_place", producer=str(own))["rows"]  # whole receipts never leak


def test_a_producer_reads_their_own_views_and_another_producers_are_not_found(world):
    own, other = world.producers[:2]
    client, headers = world.client, world.producer
    sales = client.get(f"/producers/{own}/sales", query_string=PERIOD, headers=headers)
    assert sales.status_code == 200 and sales.get_json()["rows"]
    listed = client.get(f"/producers/{own}/statements", headers=headers).get_json()
    assert [s["statement_id"] for s in listed] == [world.statements[str(own)]]
    mine, theirs = world.statements[str(own)], world.statements[str(other)]
    assert client.get(f"/producers/{own}/statements/{mine}/pdf", headers=headers).mimetype == "application/pdf"
    for url in (
        f"/producers/{other}/sales?from=2026-07-01&to=2026-07-31",
        f"/producers/{other}/statements",
        f"/producers/{other}/statements/{theirs}/pdf",
        f"/producers/{own}/statements/{theirs}/pdf",
        f"/settlements/{theirs}",
        f"/settlements/{theirs}/pdf",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert str(other) not in response.get_data(as_text=True)


def test_a_producer_lists_their_own_statements_and_opens_them(world):
    own = world.producers[0]
    listed = world.client.get("/settlements", query_string={"month": "2026-07"}, headers=world.producer).get_json()
    assert [s["producer_id"] for s in listed] == [str(own)]
    detail = world.client.get(f"/settlements/{world.statements[str(own)]}", headers=world.producer)
    assert detail.status_code == 200 and detail.get_json()["lines_detail"]
    for forbidden in ("/reports/indicators", "/open-data/sales"):
        assert world.client.get(forbidden, query_string=PERIOD, headers=world.producer).status_code == 403


# -- exports belong to whoever asked for them -------------------------------------------------------


def _export(world, headers, **body):
    response = world.client.post("/exports", json={**PERIOD, "format": "csv", **body}, headers=headers)
    assert response.status_code == 202, response.get_json()
    export_id = response.get_json()["export_id"]
    wait_for(lambda: world.client.get(f"/exports/{export_id}", headers=headers).get_json()["status"] == "ready")
    return export_id


def _csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_an_export_is_limited_like_its_requesters_reports_and_is_theirs_alone(world):
    mine, theirs = world.villages
    with start_worker(world.app.extensions["celery"], perform_ping_check=False, pool="solo"):
        by_operator = _export(world, world.operator, group_by=["village", "producer"])
        naming_another = _export(world, world.operator, group_by=["village"], village=[str(theirs)])
        by_producer = _export(world, world.producer, group_by=["producer"])

    rows = _csv_rows(world.client.get(f"/exports/{by_operator}/file", headers=world.operator))
    assert rows and {row["Village id"] for row in rows} == {str(mine)}
    assert _csv_rows(world.client.get(f"/exports/{naming_another}/file", headers=world.operator)) == []
    own = _csv_rows(world.client.get(f"/exports/{by_producer}/file", headers=world.producer))
    assert [row["Producer id"] for row in own] == [str(world.producers[0])]

    strangers = {
        "the other village's operator": world.headers("village_operator", key_id="operator-b", village_id=theirs),
        "another key of the same village": world.headers("village_operator", key_id="operator-a2", village_id=mine),
        "the same key id in another scope": world.headers("village_operator", key_id="operator-a", village_id=theirs),
        "a province analyst": world.analyst,
        "a producer": world.producer,
    }
    for who, headers in strangers.items():
        for url in (f"/exports/{by_operator}", f"/exports/{by_operator}/file"):
            response = world.client.get(url, headers=headers)
            assert response.status_code == 404 and response.get_json()["message"] == "No such export.", who
    assert world.client.get(f"/exports/{by_operator}/file").status_code == 200  # administrators see every export
