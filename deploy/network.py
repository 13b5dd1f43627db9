"""The processes that make up the network, and what they need before they start.

One table (`process_commands`) says which processes run and how; the local launcher hands it to
honcho, the end-to-end tests start and stop its entries one by one, and docker-compose.yml mirrors
it. Nothing here imports a service: services are started as processes, like in production.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests
import sqlalchemy as sa

SERVICES = ("inventory", "sales", "notifications", "reporting", "identity")
#: services that publish events (and so run an outbox relay)
PUBLISHERS = ("inventory", "sales")
#: services that consume events (and so run a consumer)
CONSUMERS = ("inventory", "sales", "notifications", "reporting")
#: services with Celery work of their own
WORKER_SERVICES = ("notifications", "reporting")
#: the web pages (till, producer portal, village office, province dashboard): a client of the services
WEB = "web"
DEFAULT_PORTS = {"inventory": 5001, "sales": 5002, "notifications": 5003, "reporting": 5004, "identity": 5005, WEB: 5006}
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Settings:
    redis_url: str
    database_urls: dict[str, str]
    var_dir: Path
    prefix: str = "sp:"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    host: str = "127.0.0.1"
    api_workers: int = 1
    api_threads: int = 4
    worker_concurrency: int = 1
    log_level: str = "INFO"
    #: run each service's relay and consumer as separate processes (`<svc>-relay`, `<svc>-consumer`)
    split_bus: bool = False
    #: PEM of the key that signs tokens (identity only) and of its public half (every service)
    signing_key: str | None = None
    #: a Redis URL per service (each with its own ACL user), instead of `redis_url` for all
    redis_urls: dict[str, str] = field(default_factory=dict)
    #: with split_bus: how many copies of each relay, consumer and Celery worker (beat always runs once)
    replicas: int = 1
    #: extra settings for every service, as environment variables without the service prefix
    service_settings: dict[str, str] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://{self.host}:{self.ports[service]}"


def environment(settings: Settings) -> dict[str, str]:
    """The environment every process of the network gets."""
    env = {
        **os.environ,
        "REDIS_URL": settings.redis_url,
        "STREAM_PREFIX": settings.prefix,
        "LOG_LEVEL": settings.log_level,
        "SP_VAR_DIR": str(settings.var_dir),
        "PYTHONUNBUFFERED": "1",
    }
    if settings.signing_key:
        from backbone.auth import public_key_pem

        env["IDENTITY_SIGNING_KEY"] = settings.signing_key
        env["AUTH_PUBLIC_KEY"] = public_key_pem(settings.signing_key)
    for service in SERVICES:
        if WEB in settings.ports:  # the pages call each service through the web app
            env[f"WEB_{service.upper()}_URL"] = settings.url(service)
        env[f"{service.upper()}_DATABASE_URL"] = settings.database_urls[service]
        if service in settings.redis_urls:
            env[f"{service.upper()}_REDIS_URL"] = settings.redis_urls[service]
        for name, value in settings.service_settings.items():
            env[f"{service.upper()}_{name}"] = value
    return env


def process_commands(settings: Settings) -> dict[str, list[str]]:
    """Every process of the network by name: an API per service, a bus worker per service, Celery, the web pages."""
    python = sys.executable
    commands: dict[str, list[str]] = {}
    for service in SERVICES:
        commands[f"{service}-api"] = [
            python, "-m", "gunicorn",
            "--bind", f"{settings.host}:{settings.ports[service]}",
            "--workers", str(settings.api_workers),
            "--threads", str(settings.api_threads),
            "--graceful-timeout", "10",
            f"services.{service}.app:create_app()",
        ]  # fmt: skip
        if service not in CONSUMERS and service not in PUBLISHERS:
            continue
        bus = [python, "-m", "flask", "--app", f"services.{service}.app", "bus", "run"]
        if not settings.split_bus:
            commands[f"{service}-bus"] = bus
            continue
        for copy in _copies(settings):
            if service in PUBLISHERS:
                commands[f"{service}-relay{copy}"] = [*bus, "--relay", "--no-consume"]
            commands[f"{service}-consumer{copy}"] = [*bus, "--no-relay", "--consume"]
    if WEB in settings.ports:
        # no data of its own: it serves the pages and passes their calls on, so it only needs threads
        commands[WEB] = [
            python, "-m", "gunicorn",
            "--bind", f"{settings.host}:{settings.ports[WEB]}",
            "--workers", "1",
            "--threads", str(max(8, settings.api_threads)),
            "--graceful-timeout", "10",
            "web.app:create_app()",
        ]  # fmt: skip
    for service in WORKER_SERVICES:
        for copy in _copies(settings):
            commands[f"{service}-worker{copy}"] = [
                python, "-m", "celery", "-A", f"services.{service}.worker", "worker",
                "--queues", service,
                "--concurrency", str(settings.worker_concurrency),
                "--hostname", f"{service}{copy}@%h-{settings.prefix.strip(':') or 'sp'}",
                "--loglevel", settings.log_level,
                "--without-gossip", "--without-mingle",
            ]  # fmt: skip
        schedule = str(settings.var_dir / f"{service}-beat-schedule")
        if not settings.split_bus:
            # One machine, one worker: its beat is forked from it (sharing its pages) instead of being
            # a process of its own, and one task at a time needs no pool of child processes.
            commands[f"{service}-worker"] += ["--beat", "--schedule", schedule]
            if settings.worker_concurrency == 1:
                commands[f"{service}-worker"] += ["--pool", "solo"]
            continue
        commands[f"{service}-beat"] = [
            python, "-m", "celery", "-A", f"services.{service}.worker", "beat",
            "--schedule", schedule,
            "--loglevel", settings.log_level,
        ]  # fmt: skip
    return commands


def _copies(settings: Settings) -> list[str]:
    # the first copy keeps the plain name; the others are -2, -3, ...
    return [""] + [f"-{n}" for n in range(2, settings.replicas + 1)] if settings.split_bus else [""]


# -- what must exist before the processes start -------------------------------------------------


def postgres_database(server_url: str, name: str) -> str:
    """The URL of database `name` on the server of `server_url`, created if missing."""
    url = sa.make_url(server_url).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def signing_key(var_dir: Path) -> str:
    """The network's token signing key: IDENTITY_SIGNING_KEY, else one kept (and made once) under var/."""
    if os.environ.get("IDENTITY_SIGNING_KEY"):
        return os.environ["IDENTITY_SIGNING_KEY"]
    from backbone.auth import generate_private_key_pem

    path = var_dir / "identity-signing-key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_private_key_pem())
        path.chmod(0o600)
    return path.read_text()


def database_urls(server_url: str | None, var_dir: Path, *, prefix: str = "sp_") -> dict[str, str]:
    """One database per service: on the PostgreSQL server at `server_url`, else SQLite files."""
    if server_url:
        return {service: postgres_database(server_url, f"{prefix}{service}") for service in SERVICES}
    return {service: f"sqlite:///{var_dir / (service + '.db')}" for service in SERVICES}


def migrate_all(settings: Settings) -> None:
    """Bring every service's database to its newest schema."""
    from backbone.db import migrate

    for service in SERVICES:
        migrate(settings.database_urls[service], ROOT / "services" / service / "migrations")


def wait_ready(settings: Settings, processes: dict[str, subprocess.Popen] | None = None, timeout: float = 120.0) -> None:
    """Wait until every service's API answers /health/ready; fail at once if one of `processes` exits."""
    deadline = time.monotonic() + timeout
    pending = set(SERVICES)
    while pending:
        for service in sorted(pending):
            try:
                if requests.get(f"{settings.url(service)}/health/ready", timeout=2).status_code == 200:
                    pending.discard(service)
            except requests.RequestException:
                pass
        dead = [name for name, process in (processes or {}).items() if process.poll() is not None]
        if dead:
            raise RuntimeError(f"exited during start-up: {', '.join(dead)}")
        if pending and time.monotonic() > deadline:
            raise RuntimeError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}")
        time.sleep(0.5)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of our own on a free port, with the production settings: AOF, noeviction."""

    def __init__(self, directory: Path, port: int | None = None, extra_args: list[str] | None = None):
        self.directory = directory
        self.port = port or free_port()
        self.extra_args = extra_args or []
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> "PrivateRedis":
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
                "--maxmemory-policy", "noeviction",
                "--logfile", str(self.directory / "redis.log"),
                *self.extra_args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                break
            except redis.AuthenticationError:
                break  # up, and refusing the default user: an ACL file is in force
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start; see {self.directory / 'redis.log'}") from None
                time.sleep(0.05)
        return self

    def stop(self) -> None:
        """Shut down cleanly (SIGTERM: Redis flushes its AOF and exits)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.process = None
