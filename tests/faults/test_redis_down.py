"""Fault 4: Redis stopped for a while during production, then restarted (with AOF): the API keeps
answering 2xx for every write, the outboxes drain, nothing is lost or counted twice."""

import redis

from deploy.invariants import check
from deploy.network import PrivateRedis
from tests.e2e.flows import alerts, ledger, register_shop, report_total, restock, wait_until_quiet
from tests.faults.chaos import Shop, Tally
from tests.support import wait_for
from tests.support.receiver import WebhookReceiver

SECRET = "change-me"


def test_writes_are_accepted_while_redis_is_down_and_arrive_exactly_once_after(make_network, tmp_path):
    private = PrivateRedis(tmp_path / "redis").start()
    network = make_network(redis_url=private.url)
    client = redis.Redis.from_url(private.url, decode_responses=True)
    try:
        network.start()
        network.wait_ready()
        with WebhookReceiver(SECRET) as receiver:
            # given two shops selling, refunding and restocking without pause, every write answered the first time
            shops = [register_shop(network, webhook_url=receiver.url, threshold="5") for _ in range(2)]
            for shop in shops:
                restock(network, shop, "40")
            tally = Tally()
            tills = [Shop(network, shop, tally, retry=False, seed=n, pause=0.02) for n, shop in enumerate(shops)]
            for till in tills:
                till.start()
            wait_for(lambda: sum(tally.accepted.values()) >= 20, timeout=60, message="writes before the outage")

            # when Redis stops for a while, and the shops go on
            private.stop()
            during = sum(tally.accepted.values())
            wait_for(lambda: sum(tally.accepted.values()) >= during + 40, timeout=60, message="writes during the outage")
            assert network.get("sales", "/health/ready").status_code == 503
            private.start()
            after = sum(tally.accepted.values())
            wait_for(lambda: sum(tally.accepted.values()) >= after + 20, timeout=60, message="writes after the outage")
            for till in tills:
                till.stopping.set()
                till.join(timeout=60)

            # then every write was answered 2xx, and once the outboxes drained nothing differs anywhere
            assert tally.refused == [], tally.refused
            assert tally.accepted["sale"] > 40, tally.accepted
            wait_until_quiet(network, client, network.settings.prefix, timeout=120)
            report = check(network.settings)
            assert report.ok, "\n".join(map(str, report.differences))
            assert report.checked["sales"] == tally.accepted["sale"]
            assert report.checked["refunds"] == tally.accepted["refund"]
            assert report.checked["restocks"] == tally.accepted["restock"] + 2
            for shop in shops:
                sales = [m for m in ledger(network, shop) if m["cause"] == "sale"]
                assert len(sales) == len({m["reference"] for m in sales})
            quantity, _ = report_total(network, "sector", "agri-food")
            assert quantity > 0
            assert all(a["kind"] in ("low_stock", "out_of_stock", "discrepancy") for shop in shops for a in alerts(network, shop))
    finally:
        client.close()
        network.close()
        private.stop()
