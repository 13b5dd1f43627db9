"""Real PostgreSQL and Redis for the tests.

In order: DATABASE_URL / REDIS_URL when set (CI sets them to the services its machine runs);
otherwise containers through testcontainers when a Docker engine answers; otherwise the default
local ports, if something listens there. Never a fake.
"""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import ExitStack

import sqlalchemy as sa


def _listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _docker_engine() -> bool:
    """Whether a Docker engine answers (checked on its socket: the docker client leaks one when none does)."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if host.startswith("unix://"):
        path = host[len("unix://") :]
        if not os.path.exists(path):
            return False
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(1)
            try:
                sock.connect(path)
                sock.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
                return b" 200 " in sock.recv(64)
            except OSError:
                return False
    if host.startswith("tcp://"):
        address, _, port = host[len("tcp://") :].rpartition(":")
        return _listening(address, int(port or 2375))
    return False


class Infrastructure:
    """Resolves (and, with Docker, starts) the PostgreSQL server and Redis the tests use."""

    def __init__(self):
        self._stack = ExitStack()
        self.postgres_url = os.environ.get("DATABASE_URL")
        self.redis_url = os.environ.get("REDIS_URL")
        self.how = "environment"
        if not (self.postgres_url and self.redis_url) and _docker_engine():
            self.how = "testcontainers"
            if not self.postgres_url:
                from testcontainers.postgres import PostgresContainer

                container = self._stack.enter_context(PostgresContainer("postgres:16-alpine", driver="psycopg"))
                self.postgres_url = container.get_connection_url()
            if not self.redis_url:
                from testcontainers.redis import RedisContainer

                container = self._stack.enter_context(RedisContainer("redis:7-alpine"))
                self.redis_url = f"redis://{container.get_container_host_ip()}:{container.get_exposed_port(6379)}/0"
        if not self.postgres_url and _listening("127.0.0.1", 5432):
            self.how, self.postgres_url = "local ports", "postgresql://postgres@127.0.0.1:5432/postgres"
        if not self.redis_url and _listening("127.0.0.1", 6379):
            self.how, self.redis_url = "local ports", "redis://127.0.0.1:6379/0"
        missing = [name for name, url in (("PostgreSQL", self.postgres_url), ("Redis", self.redis_url)) if not url]
        if missing:
            raise RuntimeError(
                f"The tests need a real {' and '.join(missing)}: set DATABASE_URL / REDIS_URL, "
                "or run a Docker engine for testcontainers."
            )
        self.postgres_url = (
            sa.make_url(self.postgres_url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        )
        self.run_id = uuid.uuid4().hex[:8]
        self._admin = sa.create_engine(self.postgres_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self._databases: list[str] = []
        self._templates: dict[str, str] = {}

    def database(self, service: str, migrations) -> str:
        """A fresh, migrated database for `service` (cloned from a per-run template)."""
        if service not in self._templates:
            template = f"t{self.run_id}_tpl_{service}"
            self._create(template)
            from backbone.db import migrate

            migrate(self._url(template), migrations)
            self._templates[service] = template
        name = f"t{self.run_id}_{uuid.uuid4().hex[:8]}_{service}"
        self._create(name, template=self._templates[service])
        return self._url(name)

    def _url(self, name: str) -> str:
        return sa.make_url(self.postgres_url).set(database=name).render_as_string(hide_password=False)

    def _create(self, name: str, template: str | None = None) -> None:
        with self._admin.connect() as connection:
            clause = f' TEMPLATE "{template}"' if template else ""
            connection.execute(sa.text(f'CREATE DATABASE "{name}"{clause}'))
        self._databases.append(name)

    def close(self) -> None:
        with self._admin.connect() as connection:
            for name in reversed(self._databases):
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()
        self._stack.close()
