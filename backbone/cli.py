"""Operator commands every service has: `flask --app services.<name>.app db|bus ...`."""

from __future__ import annotations

import signal
import threading

import click
import structlog
from flask import current_app
from flask.cli import with_appcontext

from backbone import streams
from backbone.consumer import Consumer, dump_letter
from backbone.db import migrate
from backbone.outbox import backlog
from backbone.relay import Relay
from backbone.web import get_db, get_redis

log = structlog.get_logger(__name__)


def build_relay(app) -> Relay:
    """The relay of `app`'s outbox, configured from the app."""
    config = app.config
    return Relay(
        db=app.extensions["db"],
        redis_client=get_redis(app),
        prefix=config["STREAM_PREFIX"],
        service=app.extensions["service"],
        batch_size=config["RELAY_BATCH_SIZE"],
        idle_seconds=config["RELAY_IDLE_SECONDS"],
        retention_seconds=config["STREAM_RETENTION_SECONDS"],
    )


def build_consumer(app) -> Consumer:
    """The consumer of `app`'s subscriptions, configured from the app."""
    config = app.config
    return Consumer(
        db=app.extensions["db"],
        redis_client=get_redis(app),
        prefix=config["STREAM_PREFIX"],
        service=app.extensions["service"],
        handlers=app.extensions["handlers"],
        name=config["CONSUMER_NAME"],
        batch_size=config["CONSUMER_BATCH_SIZE"],
        block_ms=config["CONSUMER_BLOCK_MS"],
        claim_idle_ms=config["CONSUMER_CLAIM_IDLE_MS"],
        claim_every_seconds=config["CONSUMER_CLAIM_EVERY_SECONDS"],
        max_attempts=config["CONSUMER_MAX_ATTEMPTS"],
        context=app.app_context,
    )


@click.group("db")
def db_cli():
    """The service's own database."""


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision):
    """Apply the service's migrations."""
    migrate(current_app.config["DATABASE_URL"], current_app.extensions["migrations"], revision)
    click.echo(f"{current_app.extensions['service']}: database at {revision}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@click.option("--rev-id", required=True, help="The revision id: the next number, e.g. 0002.")
@with_appcontext
def db_revision(message, rev_id):
    """Write a new migration from the difference between the models and the database (for developers)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(current_app.extensions["migrations"]))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = current_app.config["DATABASE_URL"]
    command.revision(config, message=message, autogenerate=True, rev_id=rev_id)


@click.group("bus")
def bus_cli():
    """The service's side of the event bus: relay, consumer, dead letters."""


@bus_cli.command("run")
@click.option("--relay/--no-relay", default=None, help="Publish the outbox (default: if the service publishes).")
@click.option("--consume/--no-consume", default=None, help="Consume subscriptions (default: if it has handlers).")
@with_appcontext
def bus_run(relay, consume):
    """Run the relay and/or the consumer until SIGTERM or Ctrl-C."""
    app = current_app._get_current_object()
    if relay is None:
        relay = app.extensions["publishes"]
    if consume is None:
        consume = bool(app.extensions["handlers"])
    workers = []
    if relay:
        workers.append(build_relay(app))
    if consume:
        workers.append(build_consumer(app))
    if not workers:
        raise click.UsageError("nothing to run: this service neither publishes nor consumes")

    def shutdown(*_):
        for worker in workers:
            worker.stop()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    threads = [threading.Thread(target=supervised, args=(worker,), name=type(worker).__name__) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)


def supervised(worker, *, first_backoff: float = 1.0, max_backoff: float = 30.0) -> None:
    """Run a relay or consumer until it is stopped, starting it again (with backoff) if it fails.

    Each already backs off on a dependency it cannot reach; this catches the rest (a bug, a race
    with Redis), so that one unexpected error never leaves a process alive that publishes or
    consumes nothing.
    """
    backoff = first_backoff
    while True:
        try:
            worker.run()
            return
        except Exception:  # noqa: BLE001 - logged with its traceback, then the worker starts again
            log.exception("bus worker failed: starting it again", worker=type(worker).__name__, retry_in=backoff)
        if worker._stop.wait(backoff):
            return
        backoff = min(backoff * 2, max_backoff)


@bus_cli.command("status")
@with_appcontext
def bus_status():
    """Outbox backlog, and lag and pending entries of this service's consumer group."""
    app = current_app._get_current_object()
    with get_db().transaction() as session:
        count, age = backlog(session)
    click.echo(f"outbox: {count} unpublished" + (f", oldest {age:.1f}s" if age is not None else ""))
    consumer = build_consumer(app)
    client = get_redis()
    for key, family in consumer.family_of.items():
        for info in client.xinfo_groups(key) if client.exists(key) else []:
            if info["name"] == consumer.group:
                click.echo(f"{family}: lag {info.get('lag')}, pending {info['pending']}")
    click.echo(f"dead letters: {client.xlen(streams.dead_letter_key(app.config['STREAM_PREFIX'], consumer.group))}")


@bus_cli.command("dead-letters")
@click.option("--count", default=100, show_default=True)
@with_appcontext
def bus_dead_letters(count):
    """List this service's dead letters, oldest first, one JSON line each."""
    for letter in build_consumer(current_app._get_current_object()).dead_letters(count):
        click.echo(dump_letter(letter))


@bus_cli.command("redrive")
@click.argument("entry_ids", nargs=-1)
@with_appcontext
def bus_redrive(entry_ids):
    """Apply dead letters again (all, or the given ids); those that succeed leave the dead-letter stream."""
    results = build_consumer(current_app._get_current_object()).redrive(list(entry_ids) or None)
    for entry_id, outcome in results.items():
        click.echo(f"{entry_id}: {outcome}")
    if any(outcome != "applied" for outcome in results.values()):
        raise SystemExit(1)
