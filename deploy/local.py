"""Run the whole network on this machine: `python -m deploy.local` (what `make run` does).

- Redis: REDIS_URL if set, else a private redis-server (AOF on) under var/redis, else a clear
  message saying what to install.
- Databases: one per service on the PostgreSQL server of DATABASE_URL if set, else SQLite files
  under var/ (zero setup).
- Migrates every database, starts every process (APIs, bus workers, Celery workers and beat)
  under honcho, and seeds the Dazio demo network through the APIs once they answer.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import redis
from honcho.manager import Manager
from honcho.printer import Message, Printer

from deploy import demo
from deploy.network import (
    ROOT,
    SERVICES,
    PrivateRedis,
    Settings,
    database_urls,
    environment,
    migrate_all,
    process_commands,
    signing_key,
    wait_ready,
)


def _redis(var_dir: Path) -> tuple[str, PrivateRedis | None]:
    url = os.environ.get("REDIS_URL")
    if url:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError as error:
            sys.exit(f"REDIS_URL={url} does not answer ({error}). Start that Redis or unset REDIS_URL.")
        return url, None
    if not PrivateRedis.available():
        sys.exit(
            "The network needs Redis 6.2 or newer. Install it (Debian/Ubuntu: sudo apt install redis-server;"
            " macOS: brew install redis) or point REDIS_URL at one, then run this again."
        )
    private = PrivateRedis(var_dir / "redis", port=int(os.environ.get("SP_REDIS_PORT", "6390"))).start()
    return private.url, private


def _first_admin_key(settings: Settings) -> str:
    """The network's first administrator key: made once (and printed once), then kept in var/admin.key."""
    path = settings.var_dir / "admin.key"
    if path.exists():
        return path.read_text().strip()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "services.identity.app", "keys", "create-admin", "--label", "local network"],
        env=environment(settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    key = result.stdout.strip()
    path.write_text(key + "\n")
    path.chmod(0o600)
    print(f"The first administrator key of this network (kept in {path}):\n  {key}\n")
    return key


def _seed_when_ready(settings: Settings, printer: Printer, seed: bool, admin_key: str) -> None:
    def say(text):
        printer.write(Message("line", text + "\n", datetime.now(), "network", None))

    try:
        wait_ready(settings)
        urls = {service: settings.url(service) for service in SERVICES}
        if seed:
            created = demo.seed(urls, admin_key)
            say("demo network seeded (Dazio, Morbegno, Talamona)" if created else "demo network already there")
        say("the network is up:")
        for service in SERVICES:
            say(f"  {service:<14} {settings.url(service)}/docs")
        say(f"  {'web':<14} {settings.url('web')}/   (till, producer portal, village office, province dashboard)")
        say(
            f"Every call needs a token: POST {settings.url('identity')}/auth/token with the key in {settings.var_dir / 'admin.key'}"
        )
        say("Ctrl-C stops everything.")
    except Exception as error:  # keep the network running; say what went wrong
        say(f"could not finish start-up: {error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the selling-places network on this machine.")
    parser.add_argument("--no-seed", action="store_true", help="do not create the demo network")
    parser.add_argument("--var-dir", default=os.environ.get("SP_VAR_DIR", str(ROOT / "var")))
    args = parser.parse_args(argv)

    var_dir = Path(args.var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    redis_url, private_redis = _redis(var_dir)
    settings = Settings(
        redis_url=redis_url,
        database_urls=database_urls(os.environ.get("DATABASE_URL"), var_dir),
        var_dir=var_dir,
        prefix=os.environ.get("STREAM_PREFIX", "sp:"),
        log_level=os.environ.get("LOG_LEVEL", "WARNING"),
        signing_key=signing_key(var_dir),
    )
    migrate_all(settings)
    admin_key = _first_admin_key(settings)

    printer = Printer(sys.stdout)
    manager = Manager(printer)
    env = environment(settings)
    for name, command in process_commands(settings).items():
        manager.add_process(name, shlex.join(command), env=env, cwd=str(ROOT))
    threading.Thread(target=_seed_when_ready, args=(settings, printer, not args.no_seed, admin_key), daemon=True).start()
    try:
        manager.loop()
    finally:
        if private_redis:
            private_redis.stop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
