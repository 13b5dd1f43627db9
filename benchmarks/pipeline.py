"""The event pipeline: outbox relay and consumer throughput, against raw Redis in the same run.

Targets (issue 9): the relay publishes at least 10,000 events/s, a consumer applies at least
5,000 events/s; i.e. within 10x of raw pipelined XADD and of batched XREADGROUP + XACK.
"""

from __future__ import annotations

import os
import sys
import time

import redis

from backbone import streams
from backbone.db import Database
from backbone.events import encode
from backbone.outbox import publish
from backbone.relay import Relay
from benchmarks.common import REDIS_URL, Result, at_least, drop_prefix, rate, scratch_database, scratch_prefix
from tests.support.events import sale_recorded

EVENTS = int(os.environ.get("BENCH_EVENTS", 20_000))
#: events each consumer applies (from the relay's stream)
CONSUMED = int(os.environ.get("BENCH_CONSUMED", 10_000))
#: every service that consumes SaleRecorded
CONSUMING = ("reporting", "inventory", "notifications")


def raw_xadd(client: redis.Redis, key: str, payloads: list[str]) -> float:
    started = time.perf_counter()
    for start in range(0, len(payloads), 100):
        pipe = client.pipeline(transaction=False)
        for payload in payloads[start : start + 100]:
            pipe.xadd(key, {"type": "SaleRecorded", "event": payload})
        pipe.execute()
    return rate(len(payloads), started)


def raw_read_ack(client: redis.Redis, key: str, count: int) -> float:
    client.xgroup_create(key, "raw", id="0")
    started = time.perf_counter()
    done = 0
    while done < count:
        response = client.xreadgroup("raw", "raw-1", {key: ">"}, count=100)
        ids = [entry_id for _, entries in response for entry_id, _ in entries]
        client.xack(key, "raw", *ids)
        done += len(ids)
    return rate(count, started)


def run() -> list[Result]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    prefix = scratch_prefix()
    events = [sale_recorded(lines=3) for _ in range(EVENTS)]
    payloads = [encode(event) for event in events]
    try:
        raw_key = f"{prefix}raw"
        xadd_rate = raw_xadd(client, raw_key, payloads)
        read_rate = raw_read_ack(client, raw_key, EVENTS)

        with scratch_database("reporting") as url:
            db = Database(url, pool_size=2)
            for start in range(0, EVENTS, 1000):
                with db.transaction() as session:
                    publish(session, *events[start : start + 1000])
            relay = Relay(db=db, redis_client=client, prefix=prefix, batch_size=500)
            started = time.perf_counter()
            while relay.publish_batch():
                pass
            relay_rate = rate(EVENTS, started)
            assert client.xlen(streams.stream_key(prefix, "sales")) == EVENTS

            db.dispose()
        consumed = {service: consume(service, client, prefix) for service in CONSUMING}
    finally:
        drop_prefix(client, prefix)
        client.close()

    results = [
        Result(
            "pipeline",
            "outbox relay: events published",
            relay_rate,
            "/s",
            xadd_rate,
            "raw XADD x100",
            ">= 10,000 /s",
            at_least(relay_rate, 10_000),
            "" if relay_rate >= 10_000 else f"{10_000 - relay_rate:,.0f} /s short",
        ),
    ]
    for service, (consume_rate, dead) in consumed.items():
        note = "" if consume_rate >= 5_000 else f"{5_000 - consume_rate:,.0f} /s short"
        if dead:
            note += f"; {dead} events dead-lettered"
        results.append(
            Result(
                "pipeline",
                f"{service} consumer: SaleRecorded applied",
                consume_rate,
                "/s",
                read_rate,
                "raw XREADGROUP+XACK",
                ">= 5,000 /s",
                at_least(consume_rate, 5_000) and not dead,
                note.strip("; "),
            )
        )
    return results  # fmt: skip


def consume(service: str, client: redis.Redis, prefix: str) -> tuple[float, int]:
    """Events/s the service's consumer (as its bus process builds it) applies from the sales stream."""
    import importlib

    from backbone.cli import build_consumer

    with scratch_database(service) as url:
        app = importlib.import_module(f"services.{service}.app").create_app(
            {"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "STREAM_PREFIX": prefix, "LOG_LEVEL": "WARNING"}
        )
        app.extensions["redis"] = client
        app.extensions["celery"] = _NoCelery()
        consumer = build_consumer(app)
        consumer.setup()
        count = min(CONSUMED, EVENTS)
        deadline = time.monotonic() + 120
        started = time.perf_counter()
        while consumer.applied + consumer.dead_lettered < count and time.monotonic() < deadline:
            consumer.poll()
        figure = rate(consumer.applied, started)
        app.extensions["db"].dispose()
    return figure, consumer.dead_lettered


class _NoCelery:
    """The consumer asks Celery for a recompute after each batch; here only the consumer is measured."""

    def send_task(self, *args, **kwargs):
        return None


if __name__ == "__main__":
    from benchmarks.run import main

    sys.exit(main(["pipeline"]))
