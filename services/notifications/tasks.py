"""Notifications' Celery tasks: thin, idempotent, keyed by ids; the logic is in service.py."""

from datetime import timedelta
from uuid import UUID

from celery import Celery
from flask import current_app

from backbone.web import get_db
from services.notifications import service

SEND = "notifications.send_delivery"
SWEEP = "notifications.sweep_deliveries"


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
        config = current_app.config
        return service.send_delivery(
            db=get_db(),
            delivery_id=UUID(delivery_id),
            secret=config["WEBHOOK_SECRET"],
            timeout=config["SEND_TIMEOUT_SECONDS"],
            final_attempt=self.request.retries >= self.max_retries,
        )

    @celery.task(name=SWEEP, shared=False)
    def sweep_deliveries_task() -> int:
        """Queue again the pending deliveries whose task was lost (Redis down when it was queued)."""
        with get_db().transaction() as session:
            stale = service.stale_pending(
                session=session, older_than=timedelta(seconds=current_app.config["SWEEP_AFTER_SECONDS"])
            )
        for delivery_id in stale:
            enqueue_delivery(delivery_id)
        return len(stale)


def enqueue_delivery(delivery_id: UUID) -> None:
    """Queue the sending of one delivery."""
    current_app.extensions["celery"].send_task(SEND, args=[str(delivery_id)])
