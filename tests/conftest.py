"""Fixtures every test can use: real PostgreSQL and Redis, fresh databases, isolated stream prefixes."""

from __future__ import annotations

import importlib
import uuid
from pathlib import Path

import pytest
import redis
from flask.testing import FlaskClient
from werkzeug.datastructures import Headers

from backbone.auth import ADMINISTRATOR, Principal, TokenSigner, generate_private_key_pem, public_key_pem
from tests.support.infra import Infrastructure

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("inventory", "sales", "notifications", "reporting", "identity")


def migrations_of(service: str) -> Path:
    return ROOT / "services" / service / "migrations"


@pytest.fixture(scope="session")
def signing_key() -> dict:
    """The identity service's token signing key for this test run, and its public half."""
    private = generate_private_key_pem()
    return {"private": private, "public": public_key_pem(private)}


@pytest.fixture
def token_for(signing_key):
    """A signed token for a principal at one service, as the identity service would issue it."""
    signer = TokenSigner(signing_key["private"])

    def make(role: str = ADMINISTRATOR, audience: str = "inventory", **scope) -> str:
        return signer.sign(Principal(key_id=scope.pop("key_id", "test-key"), role=role, **scope), audience)[0]

    return make


@pytest.fixture(scope="session")
def infra():
    infrastructure = Infrastructure()
    yield infrastructure
    infrastructure.close()


@pytest.fixture
def prefix(infra):
    """A key prefix of this test's own: its streams, groups and Celery queues touch no one else's."""
    value = f"t{uuid.uuid4().hex[:10]}:"
    yield value
    client = redis.Redis.from_url(infra.redis_url)
    try:
        keys = list(client.scan_iter(match=f"{value}*", count=1000))
        if keys:
            client.delete(*keys)
    except redis.ConnectionError:
        pass
    finally:
        client.close()


@pytest.fixture
def redis_client(infra):
    client = redis.Redis.from_url(infra.redis_url, decode_responses=True)
    yield client
    client.close()


class AdministratorClient(FlaskClient):
    """Flask's test client, sending an administrator's token unless the test sends an Authorization header.

    `headers={"Authorization": ""}` calls anonymously.
    """

    token: str = ""

    def open(self, *args, **kwargs):
        headers = Headers(kwargs.pop("headers", None) or {})
        if "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        elif not headers["Authorization"]:
            del headers["Authorization"]
        return super().open(*args, headers=headers, **kwargs)


def build_app(infra, service: str, *, prefix: str, signing_key: dict, token: str, **config):
    """A service's app on a fresh, migrated database of its own; its test client sends `token`."""
    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app(
        {
            "TESTING": True,
            "DATABASE_URL": infra.database(service, migrations_of(service)),
            "REDIS_URL": infra.redis_url,
            "STREAM_PREFIX": prefix,
            "CONSUMER_BLOCK_MS": 100,
            "CONSUMER_CLAIM_IDLE_MS": 300,
            "CONSUMER_CLAIM_EVERY_SECONDS": 0.2,
            "LOG_LEVEL": "WARNING",
            "AUTH_PUBLIC_KEY": signing_key["public"],
            **({"SIGNING_KEY": signing_key["private"]} if service == "identity" else {}),
            **config,
        }
    )
    app.test_client_class = type("AdministratorClient", (AdministratorClient,), {"token": token})
    return app


def close_apps(apps) -> None:
    """Give back the database and Redis connections of apps made by `build_app`."""
    for app in apps:
        app.extensions["db"].dispose()
        client = app.extensions.get("redis")
        if client is not None:
            client.close()


@pytest.fixture
def make_app(infra, prefix, signing_key):
    """Build a service's app on a fresh, migrated database of its own; its test client is an administrator."""
    apps = []
    signer = TokenSigner(signing_key["private"])

    def make(service: str, **config):
        token = signer.sign(Principal(key_id="test-admin", role=ADMINISTRATOR), service)[0]
        app = build_app(infra, service, prefix=prefix, signing_key=signing_key, token=token, **config)
        apps.append(app)
        return app

    yield make
    close_apps(apps)
