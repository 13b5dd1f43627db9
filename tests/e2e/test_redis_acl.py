"""Each service talks to Redis as its own ACL user, allowed only its own streams and keys."""

from decimal import Decimal

import pytest
import redis

from deploy.network import SERVICES, PrivateRedis
from deploy.redis_acl import acl_file
from tests.e2e.flows import register_shop, report_total, restock, sell, wait_for_stock
from tests.support import wait_for

PASSWORDS = {service: f"{service}-secret" for service in SERVICES}


@pytest.fixture
def acl_redis(tmp_path, prefix):
    (tmp_path / "redis").mkdir()
    acl = tmp_path / "redis" / "users.acl"
    acl.write_text(acl_file(PASSWORDS, prefix, admin_password="admin-secret"))
    server = PrivateRedis(tmp_path / "redis", extra_args=["--aclfile", str(acl)]).start()
    yield server
    server.stop()


def _url(server: PrivateRedis, user: str, password: str) -> str:
    return f"redis://{user}:{password}@127.0.0.1:{server.port}/0"


def test_the_network_runs_with_one_redis_user_per_service(make_network, acl_redis, prefix):
    network = make_network(
        redis_url=_url(acl_redis, "admin", "admin-secret"),
        redis_urls={service: _url(acl_redis, service, PASSWORDS[service]) for service in SERVICES},
    )
    network.start()
    network.wait_ready()
    shop = register_shop(network, threshold="1")
    restock(network, shop, "5")
    sell(network, shop, "2")
    wait_for_stock(network, shop, Decimal("3"))
    wait_for(
        lambda: report_total(network, "producer", shop["producer"]["id"]) == (Decimal("2"), Decimal("17.00")),
        timeout=60,
        interval=0.3,
        message="the report through the reporting user's Celery queue",
    )
    admin = redis.Redis.from_url(_url(acl_redis, "admin", "admin-secret"), decode_responses=True)
    try:
        connected = {client["user"] for client in admin.client_list()}
        assert {"inventory", "sales", "notifications", "reporting", "identity"} <= connected
        assert admin.acl_log() == [], "a service was refused a command it needed"
    finally:
        admin.close()


def test_a_service_user_cannot_touch_another_services_keys(acl_redis, prefix):
    sales = redis.Redis.from_url(_url(acl_redis, "sales", PASSWORDS["sales"]), decode_responses=True)
    try:
        sales.xadd(f"{prefix}events:sales", {"type": "x", "event": "{}"})  # its own stream: allowed
        for forbidden in (
            lambda: sales.xadd(f"{prefix}events:stock", {"type": "StockLow", "event": "{}"}),
            lambda: sales.xrange(f"{prefix}dead:inventory"),
            lambda: sales.get(f"{prefix}celery:unacked"),
            lambda: sales.keys("*"),
            lambda: sales.flushall(),
            lambda: sales.config_get("*"),
        ):
            with pytest.raises(redis.exceptions.NoPermissionError):
                forbidden()
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=acl_redis.port).ping()  # the default user is off
    finally:
        sales.close()
