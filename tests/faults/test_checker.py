"""The invariant checker finds every kind of damage, by id: a small real history, corrupted on purpose."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from deploy.invariants import check
from tests.e2e.flows import refund, register_shop, restock, sell, wait_for_stock, wait_until_quiet

ROOT = Path(__file__).resolve().parents[2]


def _sp_check(network) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", "check"], env=network.env, capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def _one(engine, query, **params):
    with engine.connect() as connection:
        return connection.execute(sa.text(query), params).one()


def _run(engine, query, **params) -> int:
    with engine.begin() as connection:
        return connection.execute(sa.text(query), params).rowcount


def test_the_checker_reports_each_corruption_by_id(network, redis_client, prefix):
    # given a small history: a delivery, sales down past the threshold (an alert), a refund
    shop = register_shop(network, threshold="3")
    restock(network, shop, "10")
    receipts = [sell(network, shop, "1") for _ in range(8)]
    refund(network, receipts[0], "1")
    wait_for_stock(network, shop, Decimal("3"))
    wait_until_quiet(network, redis_client, prefix)

    # then the network as it stands has no difference, and `sp check` says so
    report = check(network.settings)
    assert report.ok, "\n".join(map(str, report.differences))
    assert report.checked["sales"] == 8 and report.checked["refunds"] == 1 and report.checked["alerts"] == 1
    assert report.checked["restocks"] == 1 and report.checked["events"] > 10
    clean = _sp_check(network)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "0 difference(s)" in clean.stdout

    engines = {
        service: sa.create_engine(url, poolclass=sa.pool.NullPool) for service, url in network.settings.database_urls.items()
    }
    try:
        inventory, reporting, notifications = engines["inventory"], engines["reporting"], engines["notifications"]
        # when a sale's ledger row is deleted
        lost_sale = receipts[3]["receipt_id"]
        assert _run(inventory, "DELETE FROM stock_movement WHERE cause = 'sale' AND reference = :r", r=lost_sale) == 1
        # and a sale's fact is doubled (a second line of the same receipt, same amounts)
        doubled = receipts[4]["receipt_id"]
        columns = [c for c in _columns(reporting, "sale_line_fact") if c != "line_no"]
        _run(
            reporting,
            f"INSERT INTO sale_line_fact (line_no, {', '.join(columns)}) SELECT 2, {', '.join(columns)} "
            "FROM sale_line_fact WHERE receipt_id = :r",
            r=doubled,
        )
        # and a producer's daily aggregate is changed by one cent
        day = _one(reporting, "SELECT business_date FROM daily_producer_sales WHERE producer_id = :p", p=shop["producer"]["id"])[
            0
        ]
        _run(reporting, "UPDATE daily_producer_sales SET gross = gross + 0.01 WHERE producer_id = :p", p=shop["producer"]["id"])
        # and a processed-event row of reporting is dropped
        dropped = _one(
            reporting, "SELECT event_id FROM processed_event WHERE consumer = 'reporting' AND type = 'SaleRecorded' LIMIT 1"
        )[0]
        _run(reporting, "DELETE FROM processed_event WHERE consumer = 'reporting' AND event_id = :e", e=dropped)
        # and the low-stock alert is deleted
        alert_id, dedupe_key = _one(notifications, "SELECT id, dedupe_key FROM alert")
        _run(notifications, "DELETE FROM delivery WHERE alert_id = :a", a=alert_id)
        _run(notifications, "DELETE FROM alert WHERE id = :a", a=alert_id)
    finally:
        for engine in engines.values():
            engine.dispose()

    # then the checker names each of them
    report = check(network.settings)
    place, product = shop["place"]["id"], shop["product"]["id"]
    assert report.ids("ledger_sale") == {lost_sale}
    assert report.ids("stock_ledger") == {f"{place}/{product}"} and report.ids("stock_oracle") == set()
    assert report.ids("sale_fact_extra") == {f"{doubled}/2"}
    assert f"{shop['producer']['id']}/{day}" in report.ids("aggregate_daily_producer_sales")
    assert report.ids("not_consumed") == {str(dropped)}
    assert report.ids("alert_missing") == {dedupe_key}
    # and `sp check` prints them and fails
    damaged = _sp_check(network)
    assert damaged.returncode == 1
    for name in (lost_sale, f"{doubled}/2", dedupe_key, str(dropped)):
        assert name in damaged.stdout


def _columns(engine, table: str) -> list[str]:
    return [column["name"] for column in sa.inspect(engine).get_columns(table)]
