"""Redis ACL users, one per service, each allowed only its own streams and keys: `python -m deploy.redis_acl`.

Derived from the event contract: a service may write the streams of the events it publishes and
read (through its own consumer group) the streams it subscribes to, plus its own dead letters,
retry counters, metrics, rate-limit counters and, for services with Celery work, its own queues.
The `default` user is switched off. Prints an ACL file for `redis-server --aclfile`.
"""

from __future__ import annotations

import argparse
import hashlib
import sys

from backbone import contract
from deploy.network import SERVICES, WORKER_SERVICES

#: which stream families each service publishes to (its relay writes them and trims them)
PUBLISHES = {"inventory": ("catalogue", "stock"), "sales": ("sales",)}
#: commands no service needs: server administration and anything that scans or wipes the keyspace
DENIED = "-@admin -@dangerous"


def key_patterns(service: str, prefix: str) -> list[str]:
    """The keys `service` may touch."""
    families = sorted(set(PUBLISHES.get(service, ())) | set(contract.streams_read_by(service)))
    patterns = [f"{prefix}events:{family}" for family in families]
    patterns += [
        f"{prefix}dead:{service}",
        f"{prefix}attempts:{service}",
        f"{prefix}metrics:{service}:*",
        f"LIMITS:LIMITER/{prefix}ratelimit/*",
    ]
    if service in WORKER_SERVICES:
        patterns += [f"{prefix}celery:*", f"{prefix}{service}:*"]
    return patterns


def acl_line(service: str, password: str, prefix: str) -> str:
    """One `user` line of an ACL file."""
    digest = hashlib.sha256(password.encode()).hexdigest()
    keys = " ".join(f"~{pattern}" for pattern in key_patterns(service, prefix))
    # Celery's remote-control and event channels are pub/sub; services without Celery get none.
    channels = "&*" if service in WORKER_SERVICES else "resetchannels"
    return f"user {service} on #{digest} resetkeys {keys} {channels} +@all {DENIED}"


def acl_file(passwords: dict[str, str], prefix: str = "sp:", admin_password: str | None = None) -> str:
    """An ACL file: one user per service, an optional operator `admin`, and `default` off."""
    lines = ["user default off"]
    lines += [acl_line(service, passwords[service], prefix) for service in SERVICES]
    if admin_password:
        lines.append(f"user admin on #{hashlib.sha256(admin_password.encode()).hexdigest()} ~* &* +@all")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="sp:")
    for service in SERVICES:
        parser.add_argument(f"--{service}-password", required=True)
    parser.add_argument("--admin-password")
    args = parser.parse_args(argv)
    passwords = {service: getattr(args, f"{service}_password") for service in SERVICES}
    sys.stdout.write(acl_file(passwords, args.prefix, args.admin_password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
