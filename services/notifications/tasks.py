"""Notifications' Celery tasks: thin, idempotent, keyed by ids; the logic is in service.py and digests.py."""

from datetime import date, timedelta
from uuid import UUID

from celery import Celery
from flask import current_app

from backbone.db import utcnow
from backbone.web import get_db
from services.notifications import digests, service

SEND = "notifications.send_delivery"
SWEEP = "notifications.sweep_deliveries"
DIGEST = "notifications.send_digests"


def register_tasks(celery: Celery, config) -> None:
    """Define the tasks on the service's Celery app."""

    @celery.task(
        name=SEND,
        shared=False,
        bind=True,
        autoretry_for=(service.DeliveryFailed,),
        retry_backoff=config["SEND_RETRY_BACKOFF"],
        retry_backoff_max=600,
        retry_jitter=config["SEND_RETRY_JITTER"],
        max_retries=config["SEND_MAX_RETRIES"],
    )
    def send_delivery_task(self, delivery_id: str) -> str:
        """Send one delivery on its channel, retrying with exponential backoff until the last attempt."""
        return service.send_delivery(
            db=get_db(),
            delivery_id=UUID(delivery_id),
            settings=current_app.config,
            final_attempt=self.request.retries >= self.max_retries,
        )

    @celery.task(name=SWEEP, shared=False)
    def sweep_deliveries_task() -> int:
        """Send the held deliveries whose quiet hours are over, and queue again those whose task was lost."""
        with get_db().transaction() as session:
            due = service.release_held(session=session, now=utcnow())
        with get_db().transaction() as session:
            stale = service.stale_pending(
                session=session, older_than=timedelta(seconds=current_app.config["SWEEP_AFTER_SECONDS"])
            )
        for delivery_id in dict.fromkeys([*due, *stale]):
            enqueue_delivery(delivery_id)
        return len(due) + len(stale)

    @celery.task(name=DIGEST, shared=False)
    def send_digests_task(period: str | None = None) -> int:
        """Make and send the daily digests of `period` (default: yesterday, once it is digest time)."""
        config = current_app.config
        day = date.fromisoformat(period) if period else digests.period_due(utcnow(), config["TIMEZONE"], config["DIGEST_HOUR"])
        if day is None:
            return 0
        with get_db().transaction() as session:
            to_send = digests.make_digests(session=session, period=day)
        for delivery_id in to_send or ():
            enqueue_delivery(delivery_id)
        return len(to_send or ())


def enqueue_delivery(delivery_id: UUID) -> None:
    """Queue the sending of one delivery."""
    current_app.extensions["celery"].send_task(SEND, args=[str(delivery_id)])
