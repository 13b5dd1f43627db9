"""Redis Streams as the network's event log: names, consumer groups, retention.

Keys are `<prefix>events:<family>` for the event streams and `<prefix>dead:<service>` for each
service's dead letters. The prefix lets one Redis carry several networks (tests use one each).
"""

from __future__ import annotations

import time

import redis

from backbone import contract


def stream_key(prefix: str, family: str) -> str:
    """The Redis key of an event stream."""
    return f"{prefix}events:{family}"


def dead_letter_key(prefix: str, service: str) -> str:
    """The Redis key of a service's dead-letter stream."""
    return f"{prefix}dead:{service}"


def ensure_groups(client: redis.Redis, prefix: str, families) -> None:
    """Create every declared consumer group on `families`, reading from the first entry ever (0).

    Idempotent; an existing group is left where it is.
    """
    for family in families:
        for group in contract.groups_of(family):
            try:
                client.xgroup_create(stream_key(prefix, family), group, id="0", mkstream=True)
            except redis.ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise


def _next_id(entry_id: str) -> str:
    millis, seq = entry_id.split("-")
    return f"{millis}-{int(seq) + 1}"


def _older(a: str, b: str) -> str:
    return a if tuple(map(int, a.split("-"))) <= tuple(map(int, b.split("-"))) else b


def trim(client: redis.Redis, prefix: str, family: str, *, keep_seconds: float) -> int:
    """Drop entries older than `keep_seconds` that every consumer group has acknowledged.

    Never trims an entry a group has not read yet or still holds pending, and never trims while a
    declared group is missing (it would start from 0 and must find everything there).
    """
    key = stream_key(prefix, family)
    groups = {g["name"].decode() if isinstance(g["name"], bytes) else g["name"]: g for g in client.xinfo_groups(key)}
    if any(name not in groups for name in contract.groups_of(family)) or not groups:
        return 0
    floor = f"{int((time.time() - keep_seconds) * 1000)}-0"
    for name, info in groups.items():
        last = info["last-delivered-id"]
        last = last.decode() if isinstance(last, bytes) else last
        floor = _older(floor, _next_id(last))
        if info["pending"]:
            oldest = client.xpending(key, name)["min"]
            if oldest is None:
                continue  # acknowledged between XINFO and XPENDING: nothing pending any more
            oldest = oldest.decode() if isinstance(oldest, bytes) else oldest
            floor = _older(floor, oldest)
    return client.xtrim(key, minid=floor, approximate=False)
