"""Crashes at exact points (issue 8, faults 2, 3, 5 and 7): nothing lost, nothing applied twice.

A failpoint (backbone.failpoints) SIGKILLs one process at the named point; the test sees it die
there, brings it back without the failpoint, waits for the network to be quiet and checks every
effect against what the services accepted. Faults 2, 3 and 5 share one network (each on its own
shop), which keeps the module within CI's time; fault 7 starts only the processes it needs.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from celery import Celery
from celery.beat import ScheduleEntry
from celery.schedules import crontab, schedule

from backbone import failpoints, streams
from backbone.tasks import period_of
from tests.e2e.flows import alerts, on_hand, register_shop, report_total, restock, sell, wait_for_stock, wait_until_quiet
from tests.faults.crash_support import (
    assert_no_lost_or_doubled,
    build_network,
    consumed,
    failing,
    forget,
    query_rows,
    wait_killed_at,
)
from tests.support import wait_for


@pytest.fixture(scope="module")
def crash_network(infra, signing_key, tmp_path_factory, request):
    """The whole network, shared by the crash tests; one aggregate key per recompute batch, so a task has parts."""
    network = build_network(infra, signing_key, tmp_path_factory.mktemp("crashes"), service_settings={"RECOMPUTE_BATCH": "1"})
    failed = request.session.testsfailed
    try:
        network.start()
        network.wait_ready()
    except BaseException:
        print(network.logs())
        network.close()
        forget(network)
        raise
    yield network
    if request.session.testsfailed > failed:
        print(network.logs())
    network.close()
    forget(network)


def _sell_many(network, shop, count: int) -> list[dict]:
    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(lambda _: sell(network, shop, "1"), range(count)))


def _quiet(network, redis_client) -> None:
    """Every outbox row sent, then every group caught up and every aggregate recomputed."""

    def relayed():
        for publisher in ("inventory", "sales"):
            unsent = query_rows(network, publisher, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")[0].n
            assert unsent == 0, f"{unsent} {publisher} outbox rows not sent yet"
        return True

    wait_for(relayed, timeout=90, interval=0.2, message="the outboxes to be sent")
    wait_until_quiet(network, redis_client, network.settings.prefix, timeout=90)


def _pending(redis_client, network, family: str, group: str) -> int:
    return redis_client.xpending(streams.stream_key(network.settings.prefix, family), group)["pending"]


def test_a_consumer_killed_between_its_commit_and_its_xack_changes_nothing_when_redelivered(
    crash_network, redis_client, tmp_path
):
    network, points = crash_network, tmp_path / "failpoints"
    shop = register_shop(network, threshold="3")
    restock(network, shop, "20")
    _quiet(network, redis_client)
    duplicates = consumed(redis_client, network, "inventory", "duplicate")

    # given the inventory consumer armed to die right after its first commit
    network.stop("inventory-consumer")
    network.start("inventory-consumer", env=failing(points, "consumer.after-commit"))

    # when 18 sales are posted
    _sell_many(network, shop, 18)

    # then it dies of SIGKILL there: its batch is in the database and not acknowledged
    wait_killed_at(network, "inventory-consumer", points, "consumer.after-commit")
    assert on_hand(network, shop) < Decimal("20")
    assert _pending(redis_client, network, "sales", "inventory") > 0

    # when it comes back without the failpoint, the batch is claimed again, recognised, and not applied twice
    network.start("inventory-consumer")
    _quiet(network, redis_client)
    wait_for_stock(network, shop, Decimal("2"))
    assert consumed(redis_client, network, "inventory", "duplicate") > duplicates
    assert [alert["kind"] for alert in alerts(network, shop)] == ["low_stock"]
    assert_no_lost_or_doubled(network)


def test_a_relay_killed_after_xadd_before_marking_sent_republishes_and_nothing_is_doubled(crash_network, redis_client, tmp_path):
    network, points = crash_network, tmp_path / "failpoints"
    shop = register_shop(network, threshold="3", price="4.20")
    restock(network, shop, "20")
    _quiet(network, redis_client)
    before = {group: consumed(redis_client, network, group, "duplicate") for group in ("inventory", "notifications", "reporting")}

    # given the sales relay armed to die after its XADD, before it marks the outbox rows sent
    network.stop("sales-relay")
    network.start("sales-relay", env=failing(points, "relay.after-xadd"))

    # when 18 sales are posted (the API keeps answering 201: they wait in the outbox)
    receipts = _sell_many(network, shop, 18)

    # then it dies of SIGKILL there: its batch is on the stream, and still unsent in the outbox
    wait_killed_at(network, "sales-relay", points, "relay.after-xadd")
    key = streams.stream_key(network.settings.prefix, "sales")
    on_stream = [fields["event"] for _, fields in redis_client.xrange(key)]
    unsent = [row.payload for row in query_rows(network, "sales", "SELECT payload FROM outbox WHERE published_at IS NULL")]
    assert set(unsent) & set(on_stream), "the killed batch should be on the stream and unsent"

    # when it comes back without the failpoint, it publishes that batch again: the consumers drop the copies
    network.start("sales-relay")
    _quiet(network, redis_client)
    wait_for_stock(network, shop, Decimal("2"))
    copies = [event for event, count in _count(redis_client.xrange(key)).items() if count > 1]
    assert copies, "the batch the relay died on should be on the stream twice"
    for group, duplicates in before.items():
        assert consumed(redis_client, network, group, "duplicate") > duplicates, group

    def reported():
        assert report_total(network, "producer", shop["producer"]["id"]) == (Decimal("18"), Decimal("75.60"))
        return True

    wait_for(reported, timeout=60, interval=0.3, message="the report to count each of the 18 sales once")
    assert len(receipts) == 18
    assert [alert["kind"] for alert in alerts(network, shop)] == ["low_stock"]
    assert_no_lost_or_doubled(network)


def _count(entries) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, fields in entries:
        counts[fields["event"]] = counts.get(fields["event"], 0) + 1
    return counts


def test_a_celery_worker_killed_mid_task_gets_the_task_back_and_the_aggregates_are_exact(crash_network, redis_client, tmp_path):
    network, points = crash_network, tmp_path / "failpoints"
    point = "reporting.recompute.after-batch"
    # given no beat (so that only a redelivery can finish the work) and no worker while sales arrive
    network.stop("reporting-beat")
    network.stop("reporting-worker")
    try:
        shop = register_shop(network, threshold="3", price="3.10")
        restock(network, shop, "20")
        _sell_many(network, shop, 7)
        product = shop["product"]["id"]

        def facts_waiting():
            facts = query_rows(network, "reporting", f"SELECT count(*) AS n FROM sale_line_fact WHERE product_id = '{product}'")
            dirty = query_rows(network, "reporting", "SELECT count(*) AS n FROM dirty_key")
            assert facts[0].n == 7 and dirty[0].n >= 2, f"facts {facts[0].n}, dirty keys {dirty[0].n}"
            return True

        wait_for(facts_waiting, timeout=60, interval=0.3, message="the facts, with their aggregates to recompute")

        # when the worker starts, armed to die after the first batch of its recompute task has committed
        log_start = _log_size(network, "reporting-worker")
        network.start("reporting-worker", env=failing(points, point))

        # then the pool process running it dies of SIGKILL there, and the worker lives on
        wait_for(lambda: failpoints.fired(points, point), timeout=60, interval=0.2, message="the task to die mid-way")
        wait_for(
            lambda: "signal 9" in _log_since(network, "reporting-worker", log_start),
            timeout=30,
            message="the worker to see its pool process killed",
        )

        # and the task comes back (acks late, rejected on worker loss), finishes, and every aggregate is exact
        def recomputed():
            assert query_rows(network, "reporting", "SELECT count(*) AS n FROM dirty_key")[0].n == 0
            assert report_total(network, "producer", shop["producer"]["id"]) == (Decimal("7"), Decimal("21.70"))
            return True

        wait_for(recomputed, timeout=60, interval=0.3, message="the redelivered task to finish the recompute")
        assert network.processes["reporting-worker"].poll() is None
        log = _log_since(network, "reporting-worker", log_start)
        received = re.findall(r"Task reporting\.recompute_aggregates\[([0-9a-f-]+)\] received", log)
        again = {task_id for task_id in received if received.count(task_id) > 1}
        assert any(f"recompute_aggregates[{task_id}] succeeded" in log for task_id in again), log[-3000:]
    finally:
        network.stop("reporting-worker")
        network.start("reporting-worker", "reporting-beat")
    _quiet(network, redis_client)
    assert_no_lost_or_doubled(network)


def _log_size(network, name: str) -> int:
    path = network.log_dir / f"{name}.log"
    return path.stat().st_size if path.exists() else 0


def _log_since(network, name: str, offset: int) -> str:
    with open(network.log_dir / f"{name}.log", "rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


def test_two_celery_beats_send_a_periodic_task_once_per_period(infra, signing_key, tmp_path, redis_client):
    # given two beats (each with its own schedule file) and a worker, with the recompute backstop every second
    network = build_network(infra, signing_key, tmp_path, service_settings={"RECOMPUTE_EVERY_SECONDS": "1"})
    beat = network.commands["reporting-beat"]
    network.commands["reporting-beat-2"] = [
        *beat[: beat.index("--schedule") + 1],
        str(tmp_path / "second-beat-schedule"),
        *beat[beat.index("--schedule") + 2 :],
    ]
    runs_key = f"{network.settings.prefix}metrics:reporting:tasks"

    def runs() -> int:
        return int(redis_client.hget(runs_key, "reporting.recompute_aggregates|SUCCESS") or 0)

    beats = ("reporting-beat", "reporting-beat-2")
    celery_prefix = f"{network.settings.prefix}celery:"
    try:
        network.start("reporting-worker", *beats)
        for name in beats:
            wait_for(lambda name=name: _beat_actions(network, name), timeout=90, interval=0.2, message=f"{name} to act")

        # when both run side by side for at least 8 periods, then stop, and the worker finishes what was sent
        seen = len(_beat_actions(network, "reporting-beat-2"))
        wait_for(
            lambda: len(_beat_actions(network, "reporting-beat-2")) >= seen + 8,
            timeout=60,
            interval=0.2,
            message="8 more periods with both beats",
        )
        for name in beats:
            assert network.processes[name].poll() is None, f"{name} died"
            network.stop(name)
        first_action = min(_beat_actions(network, name)[0] for name in beats)
        periods = int(time.time()) - int(first_action) + 1

        def drained():
            waiting = redis_client.llen(f"{celery_prefix}reporting") + redis_client.hlen(f"{celery_prefix}unacked")
            assert waiting == 0, f"{waiting} tasks queued or running"
            return True

        wait_for(drained, timeout=60, interval=0.2, message="the worker to run every task sent")

        # then the task ran once per one-second period, not twice: each period one beat's send was skipped
        assert 8 <= runs() <= periods + 1, f"{runs()} runs in {periods} periods"
        skipped = sum(network.log_tail(name, 2000).count("already sent for this period") for name in beats)
        assert skipped >= 8
    except BaseException:
        print(network.logs())
        raise
    finally:
        network.close()
        forget(network)


def _beat_actions(network, name: str) -> list[float]:
    """When beat `name` sent or skipped the recompute task, in epoch seconds, oldest first."""
    path = network.log_dir / f"{name}.log"
    times = []
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        if "Sending due task recompute-aggregates" in line or "recompute-aggregates already sent" in line:
            times.append(datetime.fromisoformat(json.loads(line)["timestamp"].replace("Z", "+00:00")).timestamp())
    return times


def test_every_beat_claims_the_same_period_whatever_its_phase_or_its_last_run():
    app = Celery(set_as_current=False)
    app.conf.update(timezone="Europe/Rome", enable_utc=True)
    rome = app.timezone
    nightly = crontab(hour=2, minute=30, app=app)
    # a beat that ran yesterday at 02:30, one started yesterday afternoon; one wakes on time, one three minutes late
    yesterday_run = datetime(2026, 12, 2, 2, 30, 0, 400_000, tzinfo=rome)
    started_later = datetime(2026, 12, 2, 15, 0, tzinfo=rome)
    on_time = datetime(2026, 12, 3, 2, 30, 0, 200_000, tzinfo=rome)
    late = datetime(2026, 12, 3, 2, 33, 5, tzinfo=rome)
    claims = {
        period_of(ScheduleEntry("nightly", "t", last_run_at=last, schedule=nightly, app=app), now=now)
        for last in (yesterday_run, started_later)
        for now in (on_time, late)
    }
    assert claims == {(int(datetime(2026, 12, 3, 2, 30, tzinfo=rome).timestamp()), 60)}

    # an interval entry: two beats out of phase within one 10-second slot claim that slot; the next slot differs
    every_ten = schedule(timedelta(seconds=10), app=app)
    base = datetime(2026, 12, 3, 8, 0, 0, tzinfo=timezone.utc)
    entry = ScheduleEntry("recompute", "t", last_run_at=base, schedule=every_ten, app=app)
    assert period_of(entry, now=base + timedelta(seconds=1.5)) == period_of(entry, now=base + timedelta(seconds=9.9))
    assert period_of(entry, now=base + timedelta(seconds=10.1))[0] == period_of(entry, now=base)[0] + 10
