"""Province reports against an oracle computed here from the posted events, to the cent.

The sales include duplicates (the same event twice, the same receipt in another event), late sales
(arriving after their month was aggregated), refunds on later days, and a selling place whose
registration (its commission rate) arrives after its first sales.
"""

import random
import threading
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backbone.db import COPY_FROM
from services.reporting import aggregates, facts
from tests.support import wait_for
from tests.support.events import deliver
from tests.support.network_events import again, catalogue, cents, days, refund, sale

FIRST, LAST = date(2026, 5, 1), date(2026, 8, 31)
FIGURES = ("quantity", "gross", "vat", "refunded_gross", "net_sales", "commission", "commission_vat", "payout")


@pytest.fixture(scope="module")
def story():
    """The events of four months in three villages, in the order they are posted."""
    rng = random.Random(6)
    cat = catalogue(rng, villages=3, producers=8)
    late_place = next(iter(cat.places))
    registration = next(e for e in cat.events if e.type == "SellingPlaceRegistered" and e.data["selling_place_id"] == late_place)
    first_batch = [e for e in cat.events if e is not registration]
    sales = [sale(cat, rng, rng.choice(list(cat.places)), day) for day in days(FIRST, LAST) if rng.random() < 0.6]
    duplicates = [s for s in sales[:5]] + [again(s) for s in sales[5:10]]
    refunds = [
        refund(s, s.data["business_date"] if n % 2 else date(2026, 8, 20), share=Decimal("0.5") if n % 3 else Decimal("1"))
        for n, s in enumerate(sales[10:40:3])
    ]
    late = [sale(cat, rng, rng.choice(list(cat.places)), day) for day in (date(2026, 5, 3), date(2026, 5, 30), date(2026, 6, 11))]
    return {
        "catalogue": cat,
        "first": first_batch + sales + duplicates + refunds,
        "then": [registration],
        "late": late + [again(late[0])],
        "sales": sales + late,
        "refunds": refunds,
    }


def oracle_lines(story):
    """Every distinct sale and refund line, with its commission at its selling place's rate."""
    cat = story["catalogue"]
    unique = {s.data["receipt_id"]: s for s in story["sales"]}
    lines = []
    for kind, events in (("sale", unique.values()), ("refund", story["refunds"])):
        for event in events:
            data = event.data
            rate = cat.places[data["selling_place_id"]]["commission_rate"]
            for line in data["lines"]:
                lines.append(
                    {
                        "kind": kind,
                        "receipt": data["receipt_id"],
                        "day": data["business_date"],
                        "village": str(data["village_id"]),
                        "selling_place": str(data["selling_place_id"]),
                        "producer": str(line["producer_id"]),
                        "product": str(line["product_id"]),
                        "sector": line["sector"],
                        "mountain_product": line["mountain_product"],
                        "quantity": line["quantity"],
                        "gross": line["gross"],
                        "vat": line["vat"],
                        "commission": cents(line["gross"] * rate / 100),
                    }
                )
    return lines


def oracle(lines, key):
    cells = defaultdict(lambda: defaultdict(Decimal))
    for line in lines:
        cell = cells[key(line)]
        if line["kind"] == "sale":
            for name in ("quantity", "gross", "vat", "commission"):
                cell[name] += line[name]
        else:
            cell["refunded_gross"] += line["gross"]
            cell["commission"] -= line["commission"]
    for cell in cells.values():
        cell["net_sales"] = cell["gross"] - cell["refunded_gross"]
        cell["commission_vat"] = cents(cell["commission"] * Decimal("0.22"))
        cell["payout"] = cell["net_sales"] - cell["commission"] - cell["commission_vat"]
    return {key: {name: cell[name] for name in FIGURES} for key, cell in cells.items()}


@pytest.fixture
def app(make_app, redis_client, story):
    app = make_app("reporting")
    deliver(app, redis_client, *story["first"])
    _recompute(app)
    deliver(app, redis_client, *story["then"])
    _recompute(app)
    deliver(app, redis_client, *story["late"])
    _recompute(app)
    return app


def _recompute(app):
    with app.extensions["db"].transaction() as session:
        while aggregates.recompute_dirty(session=session, limit=50):
            pass


def _report(app, **query):
    response = app.test_client().get("/reports/sales", query_string={"from": str(FIRST), "to": str(LAST), **query})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _figures(row):
    return {name: Decimal(row[name]) for name in FIGURES}


def test_village_by_sector_by_month_equals_the_oracle_to_the_cent(app, story):
    report = _report(app, group_by=["village", "sector"], granularity="month")
    expected = oracle(oracle_lines(story), lambda x: (x["day"].strftime("%Y-%m"), x["village"], x["sector"]))
    got = {(r["period"], r["village"], r["sector"]): _figures(r) for r in report["rows"]}
    assert got == expected
    assert report["pending_keys"] == 0
    assert report["watermark"] == max(e.recorded_at for e in story["sales"] + story["refunds"]).isoformat()


@pytest.mark.parametrize(
    "query",
    [
        {"group_by": ["village", "sector"]},
        {"group_by": ["sector", "mountain_product"], "compare": ["previous", "last_year"]},
        {"group_by": ["village"], "sector": ["agri-food", "handicraft"], "mountain_product": "true"},
        {"mountain_product": "false"},
    ],
)
def test_a_month_report_finished_in_sql_is_the_cell_paths_own(app, story, monkeypatch, query):
    """The one-query month path on the village rollup answers exactly what summing its cells in Python does."""
    from services.reporting import reports

    taken = []
    finished = reports._finished_rows
    monkeypatch.setattr(reports, "_finished_rows", lambda *a: taken.append(1) or finished(*a))
    fast = _report(app, granularity="month", **query)
    assert taken
    monkeypatch.setattr(reports, "_finished_in_sql", lambda *a: False)
    assert _report(app, granularity="month", **query) == fast
    assert len(taken) == 1 + len(query.get("compare", ()))


@pytest.mark.parametrize(
    "query",
    [
        {"group_by": ["village", "sector"], "granularity": "month"},
        {"group_by": ["sector", "mountain_product"], "granularity": "month", "compare": ["previous", "last_year"]},
        {"group_by": ["producer", "product"], "granularity": "day"},
        {"group_by": ["selling_place", "vat_rate"], "granularity": "week", "compare": ["previous"]},
        {},
    ],
)
def test_the_reports_json_is_the_schemas_dump(app, story, monkeypatch, query):
    """The rows written without marshmallow are what schemas.SalesReport dumps, to the byte."""
    from services.reporting import schemas

    fast = app.test_client().get("/reports/sales", query_string={"from": str(FIRST), "to": str(LAST), **query})
    monkeypatch.setattr(schemas, "dump_sales_report", lambda report: schemas.SalesReport().dump(report))
    slow = app.test_client().get("/reports/sales", query_string={"from": str(FIRST), "to": str(LAST), **query})
    assert fast.status_code == slow.status_code == 200
    assert fast.get_json()["rows"]
    assert fast.data == slow.data


def test_producer_by_product_by_day_equals_the_oracle(app, story):
    report = _report(app, group_by=["producer", "product"], granularity="day")
    expected = oracle(oracle_lines(story), lambda x: (x["day"].isoformat(), x["producer"], x["product"]))
    assert {(r["period"], r["producer"], r["product"]): _figures(r) for r in report["rows"]} == expected
    assert all(r["producer_name"].startswith("Produttore") for r in report["rows"])


def test_filters_select_the_same_cells_as_the_oracle(app, story):
    lines = oracle_lines(story)
    village = lines[0]["village"]
    report = _report(
        app, village=[village], sector=["agri-food", "handicraft"], mountain_product="true", group_by=["mountain_product"]
    )
    chosen = [
        x for x in lines if x["village"] == village and x["sector"] in ("agri-food", "handicraft") and x["mountain_product"]
    ]
    assert {r["mountain_product"]: _figures(r) for r in report["rows"]} == {
        k: v for k, v in oracle(chosen, lambda x: x["mountain_product"]).items()
    }


def test_receipts_and_average_basket_per_selling_place_count_whole_receipts(app, story):
    report = _report(app, group_by=["selling_place"])
    assert report["receipts_counted"] == "whole receipts"
    receipts = defaultdict(set)
    gross = defaultdict(Decimal)
    for line in oracle_lines(story):
        if line["kind"] == "sale":
            receipts[line["selling_place"]].add(line["receipt"])
            gross[line["selling_place"]] += line["gross"]
    for row in report["rows"]:
        place = row["selling_place"]
        assert row["receipts"] == len(receipts[place])
        assert Decimal(row["average_basket"]) == cents(gross[place] / len(receipts[place]))


def test_seasons_and_years_and_comparisons(app, story):
    lines = oracle_lines(story)
    seasons = _report(app, granularity="season")
    summer = oracle([x for x in lines if x["day"].month in (6, 7, 8, 9)], lambda x: "summer 2026")
    shoulder = oracle([x for x in lines if x["day"].month == 5], lambda x: "shoulder 2026")
    assert {r["period"]: _figures(r) for r in seasons["rows"]} == {**summer, **shoulder}

    august = _report(app, **{"from": "2026-08-01", "to": "2026-08-31", "compare": ["previous", "last_year"]})
    (row,) = august["rows"]
    july = oracle([x for x in lines if x["day"].month == 7], lambda x: "july")["july"]
    aug = oracle([x for x in lines if x["day"].month == 8], lambda x: "august")["august"]
    assert august["comparisons"]["previous"] == {"from": "2026-07-01", "to": "2026-07-31"}
    assert Decimal(row["previous"]["net_sales"]) == july["net_sales"]
    growth = (aug["net_sales"] - july["net_sales"]) * 100 / july["net_sales"]
    assert Decimal(row["previous"]["growth"]) == growth.quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")
    assert row["last_year"] == {"quantity": "0.000", "gross": "0.00", "net_sales": "0.00", "growth": None}


def test_vat_is_reported_per_rate(app, story):
    report = _report(app)
    (row,) = report["rows"]
    by_rate = defaultdict(Decimal)
    unique = {s.data["receipt_id"]: s for s in story["sales"]}
    for event in unique.values():
        for line in event.data["lines"]:
            by_rate[str(line["vat_rate"].normalize())] += line["vat"]
    assert {rate: Decimal(vat) for rate, vat in row["vat_by_rate"].items()} == by_rate


def test_a_rebuild_gives_back_exactly_what_was_there(app):
    before = _report(app, group_by=["village", "sector", "producer"], granularity="month")
    with app.extensions["db"].transaction() as session:
        aggregates.rebuild_all(session=session)
    after = _report(app, group_by=["village", "sector", "producer"], granularity="month")
    assert after["rows"] == before["rows"] and after["watermark"] == before["watermark"]


# -- the rollup per village and sector ------------------------------------------------------------


def _statements():
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    return seen, record


def test_the_village_rollup_answers_a_province_report_to_the_cent(app, story):
    engine = app.extensions["db"].engine
    seen, record = _statements()
    lines = oracle_lines(story)
    village = lines[0]["village"]
    sa.event.listen(engine, "after_cursor_execute", record)
    try:
        report = _report(app, village=[village], mountain_product="true", group_by=["sector", "vat_rate"], granularity="month")
    finally:
        sa.event.remove(engine, "after_cursor_execute", record)
    assert any("sales_village_month" in statement for statement in seen)
    chosen = [x for x in lines if x["village"] == village and x["mountain_product"]]
    vat_rate = {str(line["product_id"]): line["vat_rate"] for s in story["sales"] for line in s.data["lines"]}
    expected = oracle(chosen, lambda x: (x["day"].strftime("%Y-%m"), x["sector"], str(vat_rate[x["product"]].normalize())))
    got = {(r["period"], r["sector"], str(Decimal(r["vat_rate"]).normalize())): _figures(r) for r in report["rows"]}
    assert got == expected


def test_a_big_batch_goes_by_copy_and_counts_every_line_once(app, story):
    """Batches from COPY_FROM lines on are copied, then inserted once: duplicates inside and across batches add nothing."""
    rng = random.Random(11)
    cat = story["catalogue"]
    extra = [sale(cat, rng, rng.choice(list(cat.places)), rng.choice(list(days(FIRST, LAST))), lines=3) for _ in range(400)]
    assert sum(len(e.data["lines"]) for e in extra) >= COPY_FROM
    with app.extensions["db"].transaction() as session:
        facts.store_sales(session=session, events=extra + extra[:50] + [again(e) for e in extra[50:100]])
    with app.extensions["db"].transaction() as session:
        facts.store_sales(session=session, events=extra)
        assert aggregates.pending_keys(session=session) > 0
    _recompute(app)
    report = _report(app, group_by=["village", "sector"], granularity="month")
    expected = oracle(
        oracle_lines({**story, "sales": story["sales"] + extra}),
        lambda x: (x["day"].strftime("%Y-%m"), x["village"], x["sector"]),
    )
    assert {(r["period"], r["village"], r["sector"]): _figures(r) for r in report["rows"]} == expected


def test_two_workers_rolling_up_one_month_wait_for_each_other(app, story):
    """Two days of one selling place recomputed at once: the second rollup waits, then includes the first's day."""
    rng = random.Random(12)
    cat = story["catalogue"]
    place = next(iter(cat.places))
    late = [sale(cat, rng, place, date(2026, 6, 3)), sale(cat, rng, place, date(2026, 6, 20))]
    with app.extensions["db"].transaction() as session:
        facts.store_sales(session=session, events=late)
    db = app.extensions["db"]
    database = db.engine.url.database

    def waiting() -> bool:
        with db.engine.connect() as connection:
            return connection.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                    "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = :name"
                ),
                {"name": database},
            )

    second: list[int] = []
    with db.transaction() as first:
        # the first worker takes the first day (keys come in dimension, key, day order) and holds its month
        assert aggregates.recompute_dirty(session=first, limit=1) == 1
        worker = threading.Thread(
            target=lambda: second.append(_recompute_once(db, limit=1)),
        )
        worker.start()
        wait_for(waiting, timeout=30, message="the second worker to wait for the month")
    worker.join(timeout=30)
    assert second == [1]
    _recompute(app)
    report = _report(app, group_by=["village", "sector"], granularity="month")
    expected = oracle(
        oracle_lines({**story, "sales": story["sales"] + late}), lambda x: (x["day"].strftime("%Y-%m"), x["village"], x["sector"])
    )
    assert {(r["period"], r["village"], r["sector"]): _figures(r) for r in report["rows"]} == expected


def _recompute_once(db, *, limit):
    with db.transaction() as session:
        return aggregates.recompute_dirty(session=session, limit=limit)
