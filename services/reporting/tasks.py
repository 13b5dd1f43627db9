"""Reporting's Celery tasks: coarse and coalesced, never one task per sale; the logic lives elsewhere."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from celery import Celery
from celery.schedules import crontab
from flask import current_app

from backbone.failpoints import failpoint
from backbone.web import get_db, get_redis
from services.reporting import aggregates

RECOMPUTE = "reporting.recompute_aggregates"
REBUILD = "reporting.rebuild_aggregates"
NIGHTLY = "reporting.nightly_rollups"
STATEMENTS = "reporting.issue_monthly_statements"
REPORT_PACK = "reporting.send_report_pack"
EXPORT = "reporting.run_export"


def _flag_key() -> str:
    return f"{current_app.config['STREAM_PREFIX']}reporting:recompute-requested"


def beat_schedule(config) -> dict:
    """What beat runs: the recompute backstop, nightly rollups, monthly statements and the report pack."""
    return {
        "recompute-aggregates": {"task": RECOMPUTE, "schedule": config["RECOMPUTE_EVERY_SECONDS"]},
        "nightly-rollups": {"task": NIGHTLY, "schedule": crontab(hour=2, minute=30)},
        "monthly-statements": {"task": STATEMENTS, "schedule": crontab(day_of_month=config["STATEMENTS_DAY"], hour=3, minute=0)},
        "monthly-report-pack": {
            "task": REPORT_PACK,
            "schedule": crontab(day_of_month=config["STATEMENTS_DAY"], hour=6, minute=0),
        },
    }


def previous_month(today: date) -> date:
    """The first day of the month before `today`'s."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _today() -> date:
    from services.reporting.facts import LOCAL

    return datetime.now(LOCAL).date()


def run_open_rebuild() -> int | None:
    """Run the oldest open rebuild request, if any, in one transaction; returns the facts it read."""
    db = get_db()
    with db.transaction() as session:
        rebuild_id = aggregates.open_rebuild(session=session)
    if rebuild_id is None:
        return None
    with db.transaction() as session:
        facts = aggregates.rebuild_all(session=session)
        aggregates.finish_rebuild(session=session, rebuild_id=rebuild_id, facts=facts)
    return facts


def register_tasks(celery: Celery) -> None:
    """Define the tasks on the service's Celery app."""

    @celery.task(name=RECOMPUTE, shared=False)
    def recompute_aggregates_task() -> int:
        """Finish any open rebuild, then recompute every dirty aggregate key, a batch per transaction."""
        # Cleared first: anything marked dirty from now on asks for (and gets) another run.
        get_redis().delete(_flag_key())
        run_open_rebuild()
        done = 0
        while True:
            with get_db().transaction() as session:
                count = aggregates.recompute_dirty(session=session, limit=current_app.config["RECOMPUTE_BATCH"])
            done += count
            if count == 0:
                return done
            failpoint("reporting.recompute.after-batch")  # part done: a redelivered task finishes the rest

    @celery.task(name=REBUILD, shared=False)
    def rebuild_aggregates_task() -> int | None:
        """Rebuild every aggregate from the facts if a rebuild was asked for (all or nothing)."""
        return run_open_rebuild()

    @celery.task(name=NIGHTLY, shared=False)
    def nightly_rollups_task() -> int:
        """Recompute yesterday's cube and rollups from its facts, whatever was marked (a nightly check)."""
        with get_db().transaction() as session:
            marked = aggregates.touch_day(session=session, day=_today() - timedelta(days=1))
        request_recompute()
        return marked

    @celery.task(name=STATEMENTS, shared=False, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
    def issue_monthly_statements_task(month: str | None = None) -> int:
        """Issue last month's settlement statements (each producer's once)."""
        from services.reporting import settlements

        month_start = date.fromisoformat(month) if month else previous_month(_today())
        with get_db().transaction() as session:
            return len(settlements.issue_statements(session=session, month=month_start, today=_today()))

    @celery.task(name=REPORT_PACK, shared=False, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
    def send_report_pack_task(month: str | None = None) -> str:
        """E-mail last month's report pack to the province office."""
        from services.reporting import mailing

        month_start = date.fromisoformat(month) if month else previous_month(_today())
        return mailing.send_report_pack(month=month_start)

    @celery.task(name=EXPORT, shared=False, max_retries=3)
    def run_export_task(export_id: str) -> None:
        """Make the file of a requested export."""
        from services.reporting import jobs

        jobs.run_export(export_id=uuid.UUID(export_id))


def request_recompute() -> None:
    """Ask for a recompute unless one is already queued (many sales, one task)."""
    if get_redis().set(_flag_key(), "1", nx=True, ex=30):
        current_app.extensions["celery"].send_task(RECOMPUTE)
