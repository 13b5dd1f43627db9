"""Fault 8: a bounded chaos run: shops posting while every kind of process is killed and restarted.

`CHAOS_SECONDS` sets how long the chaos lasts (about a minute in CI); `python -m tests.faults.chaos
--minutes N` runs a longer one on demand.
"""

import os

import pytest

from deploy.network import PrivateRedis
from tests.faults.chaos import run

SECONDS = float(os.environ.get("CHAOS_SECONDS", "60"))

pytestmark = pytest.mark.skipif(not PrivateRedis.available(), reason="needs redis-server")


@pytest.mark.timeout(SECONDS + 420)  # start, chaos, then the wait for quiet and the check
def test_under_chaos_every_accepted_write_has_its_effects_exactly_once(make_network, tmp_path):
    private = PrivateRedis(tmp_path / "redis").start()
    network = make_network(redis_url=private.url)
    try:
        outcome = run(network, private, seconds=SECONDS, shops=3)
        print(outcome.summary())
        assert outcome.faults.keys() == {"api", "relay", "consumer", "worker", "beat", "redis"}, outcome.faults
        assert sum(outcome.accepted.values()) > 50, outcome.summary()
        assert outcome.refused == [], outcome.summary()
        assert outcome.lost == [] and outcome.doubled == [], outcome.summary()
        assert outcome.report.ok, outcome.summary()
    finally:
        network.close()
        private.stop()
