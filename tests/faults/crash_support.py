"""What the crash tests share: a network to crash, the failpoint environment, and the final check.

`assert_no_lost_or_doubled` runs the invariant checker (deploy.invariants): what the services
accepted (the sales and inventory databases, the oracle) against every effect downstream.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import redis
import sqlalchemy as sa

from backbone import failpoints, metrics
from deploy.invariants import check
from tests.conftest import SERVICES, migrations_of
from tests.support import wait_for
from tests.support.network import Network


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


def assert_no_lost_or_doubled(network: Network) -> None:
    """Fail, naming each one, if the invariant checker finds an accepted write lost or applied twice anywhere."""
    report = check(network.settings)
    assert report.ok, f"{len(report.differences)} lost or doubled effects:\n" + "\n".join(map(str, report.differences[:50]))
