"""What the crash tests share: a network to crash, the failpoint environment, and the final check.

`assert_no_lost_or_doubled` compares what the services accepted (the sales and inventory
databases, the oracle) with every effect downstream; it is one function so that it can be swapped
for the shared invariant checker without touching the tests.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

import redis
import sqlalchemy as sa

from backbone import contract, failpoints, metrics
from tests.conftest import SERVICES, migrations_of
from tests.support import wait_for
from tests.support.network import Network

#: the event types each consuming service applies (and records in its processed_event table)
HANDLED = {
    "inventory": "services.inventory.consumers",
    "sales": "services.sales.consumers",
    "notifications": "services.notifications.consumers",
    "reporting": "services.reporting.consumers",
}
ALERT_KINDS = {"StockLow": "low_stock", "StockOut": "out_of_stock", "StockDiscrepancy": "discrepancy"}


def build_network(infra, signing_key: dict, tmp_path: Path, **settings) -> Network:
    """A network on fresh databases and a fresh key prefix of its own (not started)."""
    return Network.build(
        redis_url=infra.redis_url,
        database_urls={service: infra.database(service, migrations_of(service)) for service in SERVICES},
        prefix=f"t{uuid.uuid4().hex[:10]}:",
        tmp_path=tmp_path,
        signing_key=signing_key["private"],
        **settings,
    )


def forget(network: Network) -> None:
    """Delete the network's keys from the shared Redis."""
    client = redis.Redis.from_url(network.settings.redis_url)
    try:
        keys = list(client.scan_iter(match=f"{network.settings.prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def failing(directory: Path, *points: str) -> dict[str, str]:
    """The environment that arms `points` to SIGKILL the process that passes one, once (see backbone.failpoints)."""
    directory.mkdir(parents=True, exist_ok=True)
    return {failpoints.ENV: ",".join(f"{point}=kill" for point in points), failpoints.DIR_ENV: str(directory)}


def wait_killed_at(network: Network, name: str, directory: Path, point: str, timeout: float = 60) -> int:
    """Wait for process `name` to die of SIGKILL at `point`; returns its pid."""
    process = network.processes[name]
    wait_for(lambda: process.poll() is not None, timeout=timeout, interval=0.1, message=f"{name} to die at {point}")
    assert process.returncode == -9, f"{name} exited with {process.returncode}, not SIGKILL:\n{network.log_tail(name)}"
    assert failpoints.fired(directory, point) == process.pid, f"{name} did not die at {point}"
    return process.pid


def consumed(redis_client, network: Network, service: str, outcome: str) -> int:
    """How many events `service`'s consumer counted with `outcome` (applied, duplicate, ...), all types."""
    counts = redis_client.hgetall(metrics.counter_key(network.settings.prefix, service, "events_consumed"))
    return sum(int(value) for label, value in counts.items() if label.endswith(f"|{outcome}"))


def query_rows(network: Network, service: str, query: str) -> list:
    """The rows of a read-only SQL query on one service's database."""
    engine = sa.create_engine(network.settings.database_urls[service], poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(query)))
    finally:
        engine.dispose()


def _handled(service: str) -> set[str]:
    import importlib

    return set(importlib.import_module(HANDLED[service]).HANDLERS)


def differences(network: Network) -> list[str]:
    """Every lost or doubled effect of what the services accepted, each named by its id (empty: none)."""
    found: list[str] = []

    def same(what: str, expected: Counter, actual: Counter) -> None:
        for key in sorted(set(expected) | set(actual), key=str):
            if expected[key] != actual[key]:
                found.append(f"{what} {key}: expected {expected[key]}, found {actual[key]}")

    # every event published, and applied by every group that handles its type
    for publisher in ("inventory", "sales"):
        outbox = query_rows(network, publisher, "SELECT event_id, stream, type, payload, published_at FROM outbox")
        found += [f"{publisher} outbox {row.event_id} ({row.type}) never published" for row in outbox if row.published_at is None]
        for service in HANDLED:
            applied = {row.event_id for row in query_rows(network, service, "SELECT event_id FROM processed_event")}
            for row in outbox:
                if service in contract.groups_of(row.stream) and row.type in _handled(service) and row.event_id not in applied:
                    found.append(f"{service} never applied {row.type} {row.event_id}")

    # stock equals its ledger, and every sold or shelved refunded line moved stock exactly once
    ledger = {
        (row.selling_place_id, row.product_id): row.total
        for row in query_rows(
            network,
            "inventory",
            "SELECT selling_place_id, product_id, sum(quantity) AS total FROM stock_movement GROUP BY 1, 2",
        )
    }
    for row in query_rows(network, "inventory", "SELECT selling_place_id, product_id, on_hand FROM stock"):
        if row.on_hand != ledger.get((row.selling_place_id, row.product_id), Decimal(0)):
            found.append(
                f"stock {row.selling_place_id}/{row.product_id}: on hand {row.on_hand}, ledger {ledger.get((row.selling_place_id, row.product_id))}"
            )
    moved = Counter(
        (row.cause, row.reference, row.product_id, abs(row.quantity))
        for row in query_rows(
            network,
            "inventory",
            "SELECT cause, reference, product_id, quantity FROM stock_movement WHERE cause IN ('sale', 'refund')",
        )
    )
    sold = query_rows(
        network,
        "sales",
        "SELECT l.receipt_id, l.line_no, l.product_id, l.producer_id, l.quantity, l.gross FROM receipt_line l",
    )
    refunded = query_rows(
        network,
        "sales",
        "SELECT l.refund_id, l.line_no, l.product_id, l.producer_id, l.quantity, l.gross, l.returned_to_shelf FROM refund_line l",
    )
    same(
        "stock movement",
        Counter(("sale", line.receipt_id, line.product_id, line.quantity) for line in sold)
        + Counter(("refund", line.refund_id, line.product_id, line.quantity) for line in refunded if line.returned_to_shelf),
        moved,
    )

    # reporting: one fact per line, to the cent, and aggregates equal to the facts
    same(
        "sale fact",
        Counter((line.receipt_id, line.line_no, line.quantity, line.gross) for line in sold),
        Counter(
            (row.receipt_id, row.line_no, row.quantity, row.gross)
            for row in query_rows(network, "reporting", "SELECT receipt_id, line_no, quantity, gross FROM sale_line_fact")
        ),
    )
    same(
        "refund fact",
        Counter((line.refund_id, line.line_no, line.quantity, line.gross) for line in refunded),
        Counter(
            (row.refund_id, row.line_no, row.quantity, row.gross)
            for row in query_rows(network, "reporting", "SELECT refund_id, line_no, quantity, gross FROM refund_line_fact")
        ),
    )
    pending = query_rows(network, "reporting", "SELECT count(*) AS n FROM dirty_key")[0].n
    if pending:
        found.append(f"reporting: {pending} aggregate keys still dirty")
    expected, actual = Counter(), Counter()
    for line in sold:
        expected[(line.producer_id, "quantity")] += line.quantity
        expected[(line.producer_id, "gross")] += line.gross
    for line in refunded:
        expected[(line.producer_id, "refunded_gross")] += line.gross
    for row in query_rows(
        network, "reporting", "SELECT producer_id, sum(quantity) q, sum(gross) g, sum(refunded_gross) r FROM sales_day GROUP BY 1"
    ):
        actual[(row.producer_id, "quantity")] += row.q
        actual[(row.producer_id, "gross")] += row.g
        actual[(row.producer_id, "refunded_gross")] += row.r
    for row in query_rows(network, "reporting", "SELECT producer_id, sum(gross) g FROM daily_producer_sales GROUP BY 1"):
        actual[(row.producer_id, "daily gross")] += row.g
    for line in sold:
        expected[(line.producer_id, "daily gross")] += line.gross
    same("reporting aggregate", +expected, +actual)

    # one alert per crossing inventory announced, none other
    announced = Counter()
    for row in query_rows(network, "inventory", "SELECT event_id, type, payload FROM outbox"):
        if row.type in ALERT_KINDS:
            data = json.loads(row.payload)["data"]
            crossing = data.get("crossing", str(row.event_id))
            announced[f"{ALERT_KINDS[row.type]}:{data['selling_place_id']}:{data['product_id']}:{crossing}"] += 1
    same(
        "alert",
        announced,
        Counter(row.dedupe_key for row in query_rows(network, "notifications", "SELECT dedupe_key FROM alert")),
    )
    return found


def assert_no_lost_or_doubled(network: Network) -> None:
    """Fail, naming each one, if any accepted sale, refund or restock was lost or applied twice anywhere."""
    found = differences(network)
    assert not found, f"{len(found)} lost or doubled effects:\n" + "\n".join(found[:50])
