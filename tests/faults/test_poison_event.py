"""Fault 6: a poison event is dead-lettered after N attempts with its error, the events behind it
flow, and the operator re-drives it after the fix (`sp bus redrive`).

The poison is real: reporting's database refuses the sale (a CHECK constraint the test adds, as a
bad migration would), and accepts it again once the constraint is lifted.
"""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from backbone import streams
from deploy.invariants import check
from tests.e2e.flows import register_shop, report_total, restock, sell, wait_for_stock, wait_until_quiet
from tests.support import wait_for

ROOT = Path(__file__).resolve().parents[2]
ATTEMPTS = 3


def _sql(url: str, statement: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def test_a_poison_event_is_dead_lettered_the_others_flow_and_it_is_redriven_after_the_fix(make_network, redis_client, prefix):
    network = make_network(service_settings={"CONSUMER_MAX_ATTEMPTS": str(ATTEMPTS)})
    network.start()
    network.wait_ready()
    shop = register_shop(network, threshold="3")
    restock(network, shop, "100")
    reporting_db = network.settings.database_urls["reporting"]

    # given reporting's database refuses any sale line of 50 or more
    _sql(reporting_db, "ALTER TABLE sale_line_fact ADD CONSTRAINT poison_quantity CHECK (quantity < 50)")

    # when a sale of 60 is posted, and five sales of one behind it
    poison = sell(network, shop, "60")
    for _ in range(5):
        sell(network, shop, "1")

    # then the sale of 60 is dead-lettered by reporting after its attempts, with its error
    dead_key = streams.dead_letter_key(prefix, "reporting")
    wait_for(lambda: redis_client.xlen(dead_key) == 1, timeout=90, interval=0.3, message="the poison event to be dead-lettered")
    [(entry_id, letter)] = redis_client.xrange(dead_key)
    assert json.loads(letter["event"])["data"]["receipt_id"] == poison["receipt_id"]
    assert int(letter["attempts"]) == ATTEMPTS and "poison_quantity" in letter["error"]
    poison_event = json.loads(letter["event"])["event_id"]

    # and the events behind it flowed: reporting counts the five, inventory all six
    def five_reported():
        assert report_total(network, "producer", shop["producer"]["id"]) == (Decimal("5"), Decimal("42.50"))
        return True

    wait_for(five_reported, timeout=60, interval=0.3, message="the five sales behind the poison in the reports")
    wait_for_stock(network, shop, Decimal("35"))
    wait_until_quiet(network, redis_client, prefix)
    report = check(network.settings)
    assert report.ids("dead_lettered") == {poison_event}
    assert report.ids("sale_fact_missing") == {f"{poison['receipt_id']}/1"}

    # when the constraint is lifted and the operator re-drives the dead letters
    _sql(reporting_db, "ALTER TABLE sale_line_fact DROP CONSTRAINT poison_quantity")
    redrive = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "bus", "redrive", "reporting"],
        env=network.env, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert redrive.returncode == 0, redrive.stdout + redrive.stderr
    assert f"{entry_id}: applied" in redrive.stdout

    # then the sale is counted once, the dead-letter stream is empty, and nothing differs
    assert redis_client.xlen(dead_key) == 0

    def all_reported():
        assert report_total(network, "producer", shop["producer"]["id"]) == (Decimal("65"), Decimal("552.50"))
        return True

    wait_for(all_reported, timeout=60, interval=0.3, message="the re-driven sale in the reports")
    wait_until_quiet(network, redis_client, prefix)
    report = check(network.settings)
    assert report.ok, "\n".join(map(str, report.differences))
