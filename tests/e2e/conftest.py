"""End-to-end fixtures: the whole network as real processes on real Redis and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.conftest import SERVICES, migrations_of
from tests.support.network import Network


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def make_network(infra, prefix, tmp_path, request, signing_key):
    """Build (not start) a network on fresh databases; its logs are printed if the test fails."""
    networks: list[Network] = []

    def make(*, redis_url: str | None = None, **settings) -> Network:
        network = Network.build(
            redis_url=redis_url or infra.redis_url,
            database_urls={service: infra.database(service, migrations_of(service)) for service in SERVICES},
            prefix=prefix,
            tmp_path=tmp_path / f"network{len(networks)}",
            signing_key=signing_key["private"],
            **settings,
        )
        networks.append(network)
        return network

    yield make
    failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    for network in networks:
        network.close()
        if failed:
            print(network.logs())


@pytest.fixture
def network(make_network) -> Network:
    """The whole network, started and ready."""
    network = make_network()
    network.start()
    network.wait_ready()
    return network
