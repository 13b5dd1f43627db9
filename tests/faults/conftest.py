"""Fault tests: the whole network as real processes (the e2e fixtures), killed and restarted on purpose."""

from tests.e2e.conftest import make_network, network, pytest_runtest_makereport  # noqa: F401
