"""A rebuild is all or nothing: a Celery worker killed in the middle of one leaves the old aggregates
whole, and after a restart the aggregates equal the oracle; no reader ever sees a partial one."""

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from services.reporting import aggregates
from services.reporting.cli import AGGREGATES
from services.reporting.models import Rebuild
from services.reporting.tasks import REBUILD
from tests.conftest import ROOT
from tests.support import wait_for

FACTS = 400_000
PLACES = [uuid.UUID(int=1000 + n) for n in range(20)]
START = date(2026, 1, 1)


def load_facts(url: str) -> None:
    """Sale lines written straight into the facts, as a long history would be (no dirty marks)."""
    engine = sa.create_engine(url)
    places = "ARRAY[" + ",".join(f"'{p}'" for p in PLACES) + "]::uuid[]"
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                f"""
                INSERT INTO sale_line_fact (receipt_id, line_no, event_id, selling_place_id, village_id, producer_id,
                    product_id, sector, mountain_product, business_date, week_start, month_start, sold_at, quantity,
                    gross, vat_rate, vat, commission_rate, commission, recorded_at)
                SELECT md5(i::text || 'r')::uuid, 1, md5(i::text || 'e')::uuid, ({places})[1 + i % 20], NULL,
                    md5((i % 7)::text)::uuid, md5((i % 11)::text || 'p')::uuid, 'agri-food', i % 2 = 0, d,
                    date_trunc('week', d)::date, date_trunc('month', d)::date, d + time '10:00', 1,
                    ((i % 997) + 100)::numeric / 100, 10, (i % 97)::numeric / 100, 15, (i % 13)::numeric / 100,
                    timestamptz '2026-11-01 00:00+00'
                FROM generate_series(1, {FACTS}) AS i, LATERAL (SELECT date '{START}' + (i % 360) AS d) AS day
                """
            )
        )
    engine.dispose()


def oracle() -> dict:
    """Gross per (selling place, month), computed here from the same rule the facts were written by."""
    gross = defaultdict(int)
    for i in range(1, FACTS + 1):
        day = START + timedelta(days=i % 360)
        gross[(str(PLACES[i % 20]), day.strftime("%Y-%m"))] += (i % 997) + 100
    return {key: Decimal(cents).scaleb(-2) for key, cents in gross.items()}


def monthly(client) -> dict:
    response = client.get(
        "/reports/sales",
        query_string={"from": "2026-01-01", "to": "2026-12-31", "group_by": "selling_place", "granularity": "month"},
    )
    assert response.status_code == 200
    return {(row["selling_place"], row["period"]): Decimal(row["gross"]) for row in response.get_json()["rows"]}


def _worker(app, tmp_path, name):
    env = {
        **os.environ,
        "REPORTING_DATABASE_URL": app.config["DATABASE_URL"],
        "REDIS_URL": app.config["REDIS_URL"],
        "STREAM_PREFIX": app.config["STREAM_PREFIX"],
        "REPORTING_RECOMPUTE_EVERY_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
        "SP_VAR_DIR": str(tmp_path),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "services.reporting.worker", "worker", "-B",
        "--schedule", str(tmp_path / f"{name}-beat"), "--queues", "reporting", "--concurrency", "1",
        "--hostname", f"{name}@{app.config['STREAM_PREFIX'].strip(':')}", "--without-gossip", "--without-mingle",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    log = open(tmp_path / f"{name}.log", "ab")
    # its own process group: killing it kills the pool's children too, as a lost machine would
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return process


def _rebuilding(engine, database: str) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND state = 'active'"
                    " AND query ILIKE 'INSERT INTO sales_day%'"
                ),
                {"db": database},
            )
        )


def test_a_worker_killed_mid_rebuild_leaves_the_old_aggregates_whole_and_the_next_one_finishes(make_app, tmp_path):
    app = make_app("reporting")
    url = app.config["DATABASE_URL"]
    load_facts(url)
    expected = oracle()
    client = app.test_client()
    assert monthly(client) == {}  # the old state: facts loaded, nothing aggregated yet

    seen, stop = [], threading.Event()

    def read():
        reader = app.test_client()
        while not stop.is_set():
            seen.append(monthly(reader))

    thread = threading.Thread(target=read)
    thread.start()
    db = app.extensions["db"]
    monitor = sa.create_engine(url, poolclass=sa.pool.NullPool)
    first = _worker(app, tmp_path, "first")
    second = None
    try:
        with db.transaction() as session:
            aggregates.request_rebuild(session=session)
        app.extensions["celery"].send_task(REBUILD)
        wait_for(
            lambda: _rebuilding(monitor, sa.make_url(url).database), timeout=120, interval=0.02, message="the rebuild to start"
        )
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        with db.transaction() as session:
            (rebuild,) = session.scalars(sa.select(Rebuild)).all()
            assert rebuild.finished_at is None and rebuild.attempts == 1
        assert monthly(client) == {}  # killed mid-rebuild: the old aggregates, whole

        second = _worker(app, tmp_path, "second")

        def finished():
            with db.transaction() as session:
                return session.scalar(sa.select(Rebuild.finished_at))

        wait_for(finished, timeout=240, interval=0.2, message="the restarted worker to finish the rebuild")
    finally:
        stop.set()
        thread.join()
        for process in (first, second):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        monitor.dispose()

    assert monthly(client) == expected
    with db.transaction() as session:
        assert session.scalar(sa.select(Rebuild.attempts)) >= 2
    partial = [state for state in seen if state not in ({}, expected)]
    assert len(seen) > 3 and not partial, f"{len(partial)} of {len(seen)} reads saw a partial aggregate"


def test_the_rebuild_command_says_nothing_changed(make_app, redis_client):
    from tests.support.events import deliver, sale_recorded

    app = make_app("reporting")
    deliver(app, redis_client, *[sale_recorded(lines=2) for _ in range(5)])
    with app.extensions["db"].transaction() as session:
        while aggregates.recompute_dirty(session=session):
            pass
    result = app.test_cli_runner().invoke(args=["reporting", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt from 10 facts" in result.output
    assert "CHANGED" not in result.output and result.output.count("unchanged") == len(AGGREGATES)
    # replaying the streams into the facts adds nothing either
    replay = app.test_cli_runner().invoke(args=["reporting", "rebuild", "--from-streams"])
    assert "replayed 5 events" in replay.output and "CHANGED" not in replay.output
