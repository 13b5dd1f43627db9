"""Reporting's Celery tasks: coarse and coalesced, never one task per sale."""

from celery import Celery
from flask import current_app

from backbone.web import get_db, get_redis
from services.reporting import service

RECOMPUTE = "reporting.recompute_aggregates"


def _flag_key() -> str:
    return f"{current_app.config['STREAM_PREFIX']}reporting:recompute-requested"


def register_tasks(celery: Celery) -> None:
    """Define the tasks on the service's Celery app."""

    @celery.task(name=RECOMPUTE, shared=False)
    def recompute_aggregates_task() -> int:
        """Recompute every dirty aggregate key from its facts, a batch per transaction."""
        # Cleared first: anything marked dirty from now on asks for (and gets) another run.
        get_redis().delete(_flag_key())
        done = 0
        while True:
            with get_db().transaction() as session:
                count = service.recompute_dirty(session=session, limit=current_app.config["RECOMPUTE_BATCH"])
            done += count
            if count == 0:
                return done


def request_recompute() -> None:
    """Ask for a recompute unless one is already queued (many sales, one task)."""
    if get_redis().set(_flag_key(), "1", nx=True, ex=30):
        current_app.extensions["celery"].send_task(RECOMPUTE)
