"""The bus against real Redis and PostgreSQL: outbox, relay, consumer groups, dead letters, retention."""

import json
import threading
import time

import pytest
import redis
import sqlalchemy as sa

from backbone import streams
from backbone.cli import build_consumer, build_relay, supervised
from backbone.consumer import Consumer
from backbone.events import encode
from backbone.outbox import outbox, processed_event, publish
from backbone.relay import Relay
from deploy.network import free_port
from services.reporting.models import SaleLineFact
from tests.support import wait_for
from tests.support.events import sale_recorded


@pytest.fixture
def app(make_app):
    """Reporting: its outbox carries the test's events, its consumer stores them as facts."""
    return make_app("reporting", CONSUMER_MAX_ATTEMPTS=3)


def _publish(app, *events):
    with app.extensions["db"].transaction() as session:
        publish(session, *events)


def _count(app, table, *where):
    with app.extensions["db"].transaction() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(table).where(*where))


def _drain(consumer: Consumer, rounds: int = 20) -> None:
    consumer.setup()
    for _ in range(rounds):
        if consumer.poll() == 0:
            return


def _key(app, family="sales"):
    return streams.stream_key(app.config["STREAM_PREFIX"], family)


# -- outbox and relay -------------------------------------------------------------------------


def test_the_relay_publishes_committed_events_once_and_marks_them(app, redis_client):
    events = [sale_recorded() for _ in range(3)]
    _publish(app, *events)
    relay = build_relay(app)
    assert relay.publish_batch() == 3
    assert relay.publish_batch() == 0
    entries = redis_client.xrange(_key(app))
    assert [json.loads(fields["event"])["event_id"] for _, fields in entries] == [str(e.event_id) for e in events]
    assert _count(app, outbox, outbox.c.published_at.is_(None)) == 0


def test_a_relay_that_fails_unexpectedly_is_started_again_and_publishes(app, redis_client):
    # given a relay whose first stream trim meets an error nobody foresaw (as a race with Redis once did)
    class Flaky(Relay):
        failures = 0

        def trim_streams(self):
            if not Flaky.failures:
                Flaky.failures += 1
                raise AttributeError("'NoneType' object has no attribute 'split'")
            super().trim_streams()

    relay = Flaky(db=app.extensions["db"], redis_client=redis_client, prefix=app.config["STREAM_PREFIX"], idle_seconds=0.01)
    thread = threading.Thread(target=supervised, args=(relay,), kwargs={"first_backoff": 0.05})
    thread.start()
    try:
        # when events are committed after the failure
        wait_for(lambda: Flaky.failures == 1, timeout=10, message="the relay to fail once")
        _publish(app, *(sale_recorded() for _ in range(3)))
        # then the relay, started again, publishes them
        wait_for(lambda: redis_client.xlen(_key(app)) == 3, timeout=10, message="the events published after the failure")
        assert _count(app, outbox, outbox.c.published_at.is_(None)) == 0
    finally:
        relay.stop()
        thread.join(5)
    assert not thread.is_alive()


def test_an_event_whose_change_rolled_back_is_never_published(app):
    with pytest.raises(RuntimeError):
        with app.extensions["db"].transaction() as session:
            publish(session, sale_recorded())
            raise RuntimeError("the business change failed")
    assert _count(app, outbox) == 0


def test_while_redis_is_down_events_wait_in_the_outbox_and_leave_when_it_returns(app, redis_client):
    _publish(app, sale_recorded(), sale_recorded())
    dead = redis.Redis(port=free_port(), socket_connect_timeout=0.2, decode_responses=True)
    down = Relay(db=app.extensions["db"], redis_client=dead, prefix=app.config["STREAM_PREFIX"])
    with pytest.raises(redis.ConnectionError):
        down.publish_batch()
    assert _count(app, outbox, outbox.c.published_at.is_(None)) == 2
    assert build_relay(app).publish_batch() == 2
    assert redis_client.xlen(_key(app)) == 2


def test_two_relays_side_by_side_publish_every_event_exactly_once(app, redis_client):
    _publish(app, *[sale_recorded() for _ in range(2000)])
    relays = [build_relay(app) for _ in range(2)]
    for relay in relays:
        relay.batch_size = 100
    threads = [threading.Thread(target=lambda r=r: [None for _ in iter(r.publish_batch, 0)]) for r in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [json.loads(fields["event"])["event_id"] for _, fields in redis_client.xrange(_key(app))]
    assert len(ids) == len(set(ids)) == 2000
    assert all(relay.published > 0 for relay in relays), [relay.published for relay in relays]


def test_every_subscribing_group_exists_from_the_first_entry(app, redis_client):
    _publish(app, sale_recorded())
    build_relay(app).publish_batch()
    groups = {g["name"]: g for g in redis_client.xinfo_groups(_key(app))}
    assert set(groups) == {"inventory", "notifications", "reporting"}
    assert all(g["last-delivered-id"] == "0-0" and g["lag"] == 1 for g in groups.values())


# -- consumer -----------------------------------------------------------------------------------


def test_an_event_delivered_three_times_is_applied_once(app, redis_client):
    event = sale_recorded(lines=2)
    for _ in range(3):
        redis_client.xadd(_key(app), {"type": event.type, "event": encode(event)})
    consumer = build_consumer(app)
    consumer.batch_size = 2  # the copies arrive in different batches as well as in one
    _drain(consumer)
    assert _count(app, SaleLineFact, SaleLineFact.receipt_id == event.data["receipt_id"]) == 2
    assert _count(app, processed_event) == 1
    assert (consumer.applied, consumer.duplicates) == (1, 2)
    assert redis_client.xpending(_key(app), "reporting")["pending"] == 0


def test_a_failing_event_never_blocks_the_others_and_ends_in_dead_letters_then_is_redriven(app, redis_client):
    events = [sale_recorded() for _ in range(5)]
    poison = events[2]
    broken = {"on": True}
    handlers = dict(app.extensions["handlers"])
    store = handlers["SaleRecorded"]

    def fragile(session, event):
        if broken["on"] and event.event_id == poison.event_id:
            raise ValueError("cannot apply this one")
        store(session, [event])

    for event in events:
        redis_client.xadd(_key(app), {"type": event.type, "event": encode(event)})
    consumer = build_consumer(app)
    consumer.handlers = {**handlers, "SaleRecorded": fragile}

    _drain(consumer)
    assert _count(app, processed_event) == 4  # the four good ones, at once
    assert redis_client.xpending(_key(app), "reporting")["pending"] == 1

    def dead_lettered():
        consumer.reclaim()
        return redis_client.xlen(consumer.dead_key) == 1

    wait_for(dead_lettered, timeout=10, message="the poison event to be dead-lettered")
    letter = consumer.dead_letters()[0]
    assert "cannot apply this one" in letter["error"] and letter["attempts"] == "3" and letter["stream"] == "sales"
    assert json.loads(letter["event"])["event_id"] == str(poison.event_id)
    assert redis_client.xpending(_key(app), "reporting")["pending"] == 0

    broken["on"] = False  # the operator deploys a fix, then re-drives
    assert list(consumer.redrive().values()) == ["applied"]
    assert redis_client.xlen(consumer.dead_key) == 0
    assert _count(app, processed_event) == 5


def test_a_malformed_or_newer_event_goes_straight_to_dead_letters_with_the_reason(app, redis_client):
    newer = json.loads(encode(sale_recorded()))
    newer["version"] = 9
    good = sale_recorded()
    redis_client.xadd(_key(app), {"type": "SaleRecorded", "event": json.dumps(newer)})
    redis_client.xadd(_key(app), {"type": "SaleRecorded", "event": "{half an event"})
    redis_client.xadd(_key(app), {"type": good.type, "event": encode(good)})
    consumer = build_consumer(app)
    _drain(consumer)
    letters = consumer.dead_letters()
    assert [letter["attempts"] for letter in letters] == ["1", "1"]
    assert "version 9 is newer" in letters[0]["error"] and "not JSON" in letters[1]["error"]
    assert _count(app, processed_event) == 1
    assert redis_client.xpending(_key(app), "reporting")["pending"] == 0


def test_a_consumer_killed_between_its_commit_and_its_ack_is_redelivered_without_effect(app, redis_client):
    event = sale_recorded()
    redis_client.xadd(_key(app), {"type": event.type, "event": encode(event)})
    crashed = build_consumer(app)
    crashed.name = "reporting-crashed"
    crashed._ack = lambda messages: None  # committed, then died before XACK
    crashed.setup()
    crashed.poll()
    assert _count(app, processed_event) == 1
    assert redis_client.xpending(_key(app), "reporting")["pending"] == 1

    survivor = build_consumer(app)
    survivor.name = "reporting-survivor"
    wait_for(lambda: survivor.reclaim() == 1, timeout=10, message="the survivor to reclaim the entry")
    assert redis_client.xpending(_key(app), "reporting")["pending"] == 0
    assert (survivor.applied, survivor.duplicates) == (0, 1)
    assert _count(app, SaleLineFact, SaleLineFact.receipt_id == event.data["receipt_id"]) == 1


def test_a_consumer_loop_stops_cleanly_and_keeps_up_with_the_stream(app, redis_client):
    consumer = build_consumer(app)
    thread = threading.Thread(target=consumer.run)
    thread.start()
    try:
        events = [sale_recorded() for _ in range(50)]
        for event in events:
            redis_client.xadd(_key(app), {"type": event.type, "event": encode(event)})
        wait_for(lambda: consumer.applied == 50, timeout=10, message="the consumer to apply 50 events")
    finally:
        consumer.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()


# -- retention ------------------------------------------------------------------------------------


def test_retention_never_trims_what_a_group_has_not_acknowledged(app, redis_client):
    _publish(app, *[sale_recorded() for _ in range(10)])
    relay = build_relay(app)
    relay.publish_batch()
    key = _key(app)
    assert streams.trim(redis_client, app.config["STREAM_PREFIX"], "sales", keep_seconds=0) == 0  # nobody read anything

    for group in ("inventory", "notifications", "reporting"):
        entries = redis_client.xreadgroup(group, "c", {key: ">"}, count=8)[0][1]
        redis_client.xack(key, group, *[entry_id for entry_id, _ in entries[:6]])
    # every group read 8 and acknowledged 6: only the first 6 may go
    assert streams.trim(redis_client, app.config["STREAM_PREFIX"], "sales", keep_seconds=0) == 6
    assert redis_client.xlen(key) == 4
    # and nothing goes while it is younger than the retention period
    for group in ("inventory", "notifications", "reporting"):
        redis_client.xack(key, group, *[entry_id for entry_id, _ in redis_client.xrange(key)])
    assert streams.trim(redis_client, app.config["STREAM_PREFIX"], "sales", keep_seconds=3600) == 0


def test_retention_waits_while_a_declared_group_is_missing(app, redis_client):
    _publish(app, sale_recorded())
    build_relay(app).publish_batch()
    key = _key(app)
    for group in ("inventory", "notifications", "reporting"):
        for entry_id, _ in redis_client.xreadgroup(group, "c", {key: ">"})[0][1]:
            redis_client.xack(key, group, entry_id)
    redis_client.xgroup_destroy(key, "notifications")
    time.sleep(0.002)  # entry ids are milliseconds: let "now" pass the entry
    assert streams.trim(redis_client, app.config["STREAM_PREFIX"], "sales", keep_seconds=0) == 0


def test_a_restarted_consumer_retries_its_own_failed_entry_once_not_in_a_loop(app, redis_client):
    poison = sale_recorded()
    redis_client.xadd(_key(app), {"type": poison.type, "event": encode(poison)})
    handlers = {**app.extensions["handlers"], "SaleRecorded": lambda session, event: 1 / 0}
    first = build_consumer(app)
    first.handlers = handlers
    _drain(first)
    again = build_consumer(app)  # the same process name: it finds the entry among its own pending
    again.handlers = handlers
    for _ in range(10):
        again.poll()
    assert redis_client.hget(first.attempts_key, f"sales:{redis_client.xrange(_key(app))[0][0]}") == "2"
    assert redis_client.xlen(first.dead_key) == 0


def test_metrics_show_what_the_relay_and_the_consumer_did(app, redis_client):
    events = [sale_recorded() for _ in range(3)]
    _publish(app, *events, sale_recorded())
    relay = build_relay(app)
    relay.batch_size = 3
    relay.publish_batch()  # three out, one still waiting in the outbox
    consumer = build_consumer(app)
    consumer.batch_size = 2
    consumer.setup()
    consumer.poll()  # two applied, one left on the stream
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'sp_events_published_total{type="SaleRecorded"} 3.0' in text
    assert 'sp_events_consumed_total{outcome="applied",type="SaleRecorded"} 2.0' in text
    assert 'sp_consumer_lag{stream="sales"} 1.0' in text
    assert "sp_outbox_backlog 1.0" in text
    assert "sp_dead_letters 0.0" in text
