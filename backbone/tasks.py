"""Celery for the services that run background work (reporting, notifications).

Tasks run inside the Flask app context (the pattern of Flask's own Celery example); messages are
JSON only; tasks are acknowledged late and given back to the queue if a worker dies mid-task, so
every task must be idempotent. Queues are declared with kombu. All Celery keys live under the
network's prefix, so several networks can share one Redis.
"""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask
from kombu import Exchange, Queue


def celery_init_app(app: Flask, *, queue: str, beat_schedule: dict | None = None) -> Celery:
    """Attach a Celery app to `app`, with one durable direct queue named `queue`."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    prefix = app.config["STREAM_PREFIX"]
    celery_app = Celery(app.import_name, task_cls=FlaskTask, set_as_current=False)
    celery_app.conf.update(
        broker_url=app.config["REDIS_URL"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={"global_keyprefix": f"{prefix}celery:", "visibility_timeout": 3600},
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        task_queues=(Queue(queue, Exchange(queue, type="direct"), routing_key=queue),),
        task_default_queue=queue,
        task_default_exchange=queue,
        task_default_routing_key=queue,
        beat_schedule=beat_schedule or {},
        timezone="Europe/Rome",
        enable_utc=True,
    )
    celery_app.conf.update(app.config.get("CELERY", {}))
    app.extensions["celery"] = celery_app
    return celery_app
