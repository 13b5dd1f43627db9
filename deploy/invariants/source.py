"""Where the checker reads: each service's database, read-only, and the network's Redis."""

from __future__ import annotations

from collections.abc import Mapping

import redis
import sqlalchemy as sa

from deploy.network import SERVICES


class Source:
    """Read-only connections to every service's database, and a Redis client."""

    def __init__(self, database_urls: Mapping[str, str], redis_url: str, prefix: str):
        self.prefix = prefix
        self.redis = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=10)
        self._engines = {}
        for service in SERVICES:
            url = sa.make_url(database_urls[service])
            if url.drivername in ("postgresql", "postgres"):
                url = url.set(drivername="postgresql+psycopg")
            self._engines[service] = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self._connections: dict[str, sa.Connection] = {}

    @classmethod
    def of(cls, settings_or_urls) -> "Source":
        """From a deploy.network.Settings or a mapping with database_urls, redis_url and prefix."""
        if isinstance(settings_or_urls, Mapping):
            m = settings_or_urls
            return cls(m["database_urls"], m["redis_url"], m.get("prefix", "sp:"))
        s = settings_or_urls
        return cls(s.database_urls, s.redis_url, s.prefix)

    def connection(self, service: str) -> sa.Connection:
        """One read-only transaction per service database for the whole check."""
        if service not in self._connections:
            engine = self._engines[service]
            options = {"postgresql_readonly": True} if engine.dialect.name == "postgresql" else {}
            connection = engine.connect().execution_options(**options)
            self._connections[service] = connection
        return self._connections[service]

    def rows(self, service: str, query) -> list:
        """The rows of a SELECT on a service's database."""
        return self.connection(service).execute(query).all()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *_) -> None:
        for connection in self._connections.values():
            connection.rollback()
            connection.close()
        for engine in self._engines.values():
            engine.dispose()
        self.redis.close()
