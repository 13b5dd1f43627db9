"""Operator commands: `flask --app services.reporting.app reporting rebuild|statements|report-pack`."""

from __future__ import annotations

from datetime import date
from itertools import groupby

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from backbone import contract, streams
from backbone.events import ContractError, decode
from backbone.web import get_db, get_redis
from services.reporting import aggregates
from services.reporting.models import (
    DailyProducerSales,
    DailySectorSales,
    ReceiptsDay,
    SalesDay,
    SalesMonth,
    SalesVillageMonth,
)

AGGREGATES = (SalesDay, SalesMonth, SalesVillageMonth, ReceiptsDay, DailyProducerSales, DailySectorSales)


@click.group("reporting")
def reporting_cli():
    """Reporting's aggregates, statements and report pack."""


def fingerprint(session) -> dict[str, tuple]:
    """Rows, gross total and newest watermark of every aggregate table: equal fingerprints, equal figures."""
    return {
        table.__tablename__: tuple(
            session.execute(sa.select(sa.func.count(), sa.func.sum(table.gross), sa.func.max(table.watermark))).one()
        )
        for table in AGGREGATES
    }


def replay_streams(batch: int = 1000) -> int:
    """Store facts again from every event still on the streams reporting reads (idempotent); returns the events."""
    from services.reporting.consumers import HANDLERS

    client = get_redis()
    applied = 0
    for family in contract.streams_read_by("reporting"):
        key = streams.stream_key(current_app.config["STREAM_PREFIX"], family)
        start = "-"
        while True:
            entries = client.xrange(key, min=start, count=batch)
            if not entries:
                break
            events = []
            for _, fields in entries:
                if fields.get("type") in HANDLERS:
                    try:
                        events.append(decode(fields["event"]))
                    except ContractError:
                        continue  # the consumer dead-letters these; a replay skips them
            with get_db().transaction() as session:
                for type_, run in groupby(events, key=lambda event: event.type):
                    handler = HANDLERS[type_]
                    if getattr(handler, "batch", False):
                        handler(session, list(run))
                    else:
                        for event in run:
                            handler(session, event)
            applied += len(events)
            start = "(" + entries[-1][0]
    return applied


@reporting_cli.command("rebuild")
@click.option("--from-streams", is_flag=True, help="First store facts again from the events still on the streams.")
@click.option("--in-worker", is_flag=True, help="Ask the Celery workers to do it instead of doing it here.")
@with_appcontext
def rebuild(from_streams, in_worker):
    """Rebuild every aggregate from the facts, all or nothing, and say whether anything changed."""
    from services.reporting.tasks import REBUILD, run_open_rebuild

    if from_streams:
        click.echo(f"replayed {replay_streams()} events from the streams into the facts")
    db = get_db()
    with db.transaction() as session:
        before = fingerprint(session)
        rebuild_id = aggregates.request_rebuild(session=session)
    if in_worker:
        current_app.extensions["celery"].send_task(REBUILD)
        click.echo(f"rebuild {rebuild_id} requested from the workers")
        return
    facts = run_open_rebuild()
    with db.transaction() as session:
        after = fingerprint(session)
    click.echo(f"rebuilt from {facts} facts")
    for table, figures in after.items():
        state = "unchanged" if figures == before[table] else f"CHANGED (was {before[table]})"
        click.echo(f"  {table}: {figures[0]} rows, gross {figures[1]}: {state}")


@reporting_cli.command("statements")
@click.argument("month")
@with_appcontext
def statements(month):
    """Issue the settlement statements of MONTH (YYYY-MM) for every producer not yet settled for it."""
    from services.reporting import settlements
    from services.reporting.tasks import _today

    with get_db().transaction() as session:
        issued = settlements.issue_statements(session=session, month=date.fromisoformat(f"{month}-01"), today=_today())
    click.echo(f"{len(issued)} statements issued for {month}")


@reporting_cli.command("report-pack")
@click.argument("month")
@with_appcontext
def report_pack(month):
    """E-mail the report pack of MONTH (YYYY-MM) to the province office now."""
    from services.reporting import mailing

    click.echo(mailing.send_report_pack(month=date.fromisoformat(f"{month}-01")))
