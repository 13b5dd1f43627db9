"""Reporting: facts stored once from events, aggregates recomputed by a real Celery worker."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from celery.contrib.testing.worker import start_worker

from services.reporting import service
from services.reporting.models import DirtyKey
from tests.support import wait_for
from tests.support.events import deliver, sale_recorded


@pytest.fixture
def app(make_app):
    return make_app("reporting")


def _report(app, group_by, key=None):
    today = date.today()
    query = {"group_by": group_by, "from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
    if key:
        query["key"] = key
    response = app.test_client().get("/reports/daily", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _totals(report):
    return (
        sum((Decimal(r["quantity"]) for r in report["rows"]), Decimal(0)),
        sum((Decimal(r["gross"]) for r in report["rows"]), Decimal(0)),
        sum(r["receipts"] for r in report["rows"]),
    )


def test_sales_become_daily_aggregates_through_one_coalesced_task(app, redis_client):
    producer = uuid.uuid4()
    sales = [sale_recorded(producer_id=producer, quantity="1", gross="8.50") for _ in range(40)]
    with start_worker(app.extensions["celery"], perform_ping_check=False, pool="solo"):
        deliver(app, redis_client, *sales)
        wait_for(
            lambda: (
                _report(app, "producer", str(producer))["pending_keys"] == 0 and _report(app, "producer", str(producer))["rows"]
            )
        )
    report = _report(app, "producer", str(producer))
    assert _totals(report) == (Decimal("40"), Decimal("340.00"), 40)
    assert report["watermark"] == max(s.recorded_at for s in sales).isoformat()
    row = report["rows"][0]
    assert Decimal(row["net"]) == Decimal(row["gross"]) - Decimal(row["vat"])


def test_a_sale_arriving_again_even_as_another_event_is_counted_once(app, redis_client):
    producer = uuid.uuid4()
    sale = sale_recorded(producer_id=producer, lines=2)
    copy = type(sale)(**{**sale.__dict__, "event_id": uuid.uuid4()})  # same receipt, new event id
    deliver(app, redis_client, sale, sale, copy)
    with app.extensions["db"].transaction() as session:
        while service.recompute_dirty(session=session):
            pass
    assert _totals(_report(app, "producer", str(producer)))[:2] == (Decimal("2"), Decimal("17.00"))


def test_recomputing_again_changes_nothing(app, redis_client):
    sales = [sale_recorded() for _ in range(5)]
    deliver(app, redis_client, *sales)
    db = app.extensions["db"]
    with db.transaction() as session:
        service.recompute_dirty(session=session)
    first = _report(app, "sector")
    with db.transaction() as session:  # as if the task ran twice: mark everything dirty again
        session.execute(
            sa.insert(DirtyKey),
            [{"dimension": "sector", "key": "agri-food", "business_date": r["business_date"]} for r in first["rows"]],
        )
        service.recompute_dirty(session=session)
    assert _report(app, "sector")["rows"] == first["rows"]


def test_a_report_waiting_for_recomputation_says_so(app, redis_client):
    deliver(app, redis_client, sale_recorded())
    assert _report(app, "sector")["pending_keys"] == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ({"group_by": "planet", "from": "2026-01-01", "to": "2026-01-31"}, "group_by"),
        ({"group_by": "sector", "from": "2026-02-01", "to": "2026-01-31"}, "to"),
        ({"group_by": "sector", "from": "2024-01-01", "to": "2026-01-31"}, "to"),
        ({"group_by": "sector", "from": "yesterday", "to": "2026-01-31"}, "from"),
        ({"group_by": "producer", "from": "2026-01-01", "to": "2026-01-31", "key": "nobody"}, "key"),
        ({"group_by": "sector", "from": "2026-01-01", "to": "2026-01-31", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_report_query_is_refused_naming_the_parameter(app, query, field):
    response = app.test_client().get("/reports/daily", query_string=query)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["query"]


def test_a_sale_stored_while_its_key_is_being_recomputed_is_not_lost(app, redis_client):
    # given a day already marked dirty by an earlier sale
    producer = uuid.uuid4()
    place = uuid.uuid4()
    first, late = (sale_recorded(producer_id=producer, selling_place_id=place) for _ in range(2))
    deliver(app, redis_client, first)
    db = app.extensions["db"]
    # when a consumer has stored another sale of that day but not yet committed ...
    with app.app_context(), db.transaction() as consumer_session:
        from services.reporting.consumers import HANDLERS

        HANDLERS["SaleRecorded"](consumer_session, [late])
        # ... and a recomputation runs meanwhile
        with db.transaction() as worker_session:
            service.recompute_dirty(session=worker_session)
    # then, once both are done, the next recomputation still counts both sales
    with db.transaction() as session:
        while service.recompute_dirty(session=session):
            pass
    report = _report(app, "producer", str(producer))
    assert _totals(report)[:2] == (Decimal("2"), Decimal("17.00")) and report["pending_keys"] == 0
