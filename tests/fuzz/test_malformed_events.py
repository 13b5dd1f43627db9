"""Malformed events on the streams, for every consuming service: refused to its dead-letter stream with a reason,
never half-applied, and the events behind them still applied.

For each service: an entry of a type it handles with a version it does not know, one with fields missing, one
that is not JSON, one that is not even UTF-8, and one whose text PostgreSQL could not store; then a good event.
"""

from __future__ import annotations

import json

import pytest
import redis
import sqlalchemy as sa

from backbone import streams
from backbone.cli import build_consumer
from backbone.events import Event, encode
from backbone.outbox import processed_event
from tests.support.events import sale_recorded
from tests.support.notifications import producer_registered

#: each consuming service and a good event of a type it handles
GOOD = {
    "inventory": lambda: sale_recorded(),
    "sales": lambda: producer_registered(),
    "notifications": lambda: producer_registered(),
    "reporting": lambda: sale_recorded(),
}


def _rows(app) -> dict[str, int]:
    with app.extensions["db"].transaction() as session:
        names = sa.inspect(session.connection()).get_table_names()
        return {name: session.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}


def _processed(app) -> set[str]:
    with app.extensions["db"].transaction() as session:
        return {str(event_id) for event_id in session.scalars(sa.select(processed_event.c.event_id))}


def _malformed(good: Event) -> list[tuple[str, bytes | str, str]]:
    """(what is wrong, the entry's event field, words its dead letter's reason must hold)."""
    document = json.loads(encode(good))
    newer = {**document, "version": 99}
    missing = {
        **document,
        "data": {key: value for key, value in document["data"].items() if key not in list(document["data"])[:2]},
    }
    no_envelope = {key: value for key, value in document.items() if key != "event_id"}
    text = json.dumps(document)
    first_string = next(key for key, value in document["data"].items() if isinstance(value, str) and key != "producer_id")
    with_nul = json.dumps({**document, "data": {**document["data"], first_string: "Bot\x00tega"}})
    return [
        ("a version this code does not know", json.dumps(newer), "version 99"),
        ("fields of its payload missing", json.dumps(missing), "Missing data"),
        ("no event id", json.dumps(no_envelope), "event_id"),
        ("not JSON", "{half an event", "not JSON"),
        ("a JSON list", "[1, 2]", "JSON object"),
        ("not UTF-8", text.encode().replace(b'"', b'"\xff\xfe', 1), "UTF-8"),
        ("a NUL in its text", with_nul, "NUL"),
    ]


@pytest.mark.parametrize("service", sorted(GOOD))
def test_malformed_events_are_dead_lettered_with_their_reason_and_the_events_behind_them_are_applied(make_app, infra, service):
    app = make_app(service, CONSUMER_MAX_ATTEMPTS=2)
    good = GOOD[service]()
    key = streams.stream_key(app.config["STREAM_PREFIX"], good.stream)
    raw_redis = redis.Redis.from_url(infra.redis_url)  # bytes as they are: the app's own client decodes UTF-8
    malformed = _malformed(good)
    consumer = build_consumer(app)
    consumer.setup()
    before = _rows(app)

    # given malformed entries of a type the service handles, then a good one behind them
    for _, entry, _ in malformed:
        raw_redis.xadd(key, {"type": good.type, "event": entry})
    # when the consumer reads them all
    for _ in range(10):
        if consumer.poll() == 0:
            break

    # then each is in the dead-letter stream with its reason, nothing of them was written, none is pending
    letters = raw_redis.xrange(consumer.dead_key)
    assert len(letters) == len(malformed), [fields for _, fields in letters]
    for (what, entry, reason), (_, fields) in zip(malformed, letters, strict=True):
        assert reason in fields[b"error"].decode("utf-8", "replace"), (what, fields[b"error"])
        assert fields[b"event"] == (entry if isinstance(entry, bytes) else entry.encode("utf-8")), what
    assert _rows(app) == before
    assert raw_redis.xpending(key, service)["pending"] == 0

    # and when they come again with a good event behind them, in the same read, the good one is applied
    for _, entry, _ in malformed:
        raw_redis.xadd(key, {"type": good.type, "event": entry})
    raw_redis.xadd(key, {"type": good.type, "event": encode(good)})
    while consumer.poll():
        pass
    assert _processed(app) == {str(good.event_id)}
    assert raw_redis.xlen(consumer.dead_key) == 2 * len(malformed)
    assert raw_redis.xpending(key, service)["pending"] == 0
    raw_redis.close()
