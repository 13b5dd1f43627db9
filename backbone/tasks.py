"""Celery for the services that run background work (reporting, notifications).

Tasks run inside the Flask app context (the pattern of Flask's own Celery example); messages are
JSON only; tasks are acknowledged late and given back to the queue if a worker dies mid-task, so
every task must be idempotent. Queues are declared with kombu. All Celery keys live under the
network's prefix, so several networks can share one Redis.
"""

from __future__ import annotations

import time

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
    _count_tasks(app, celery_app)
    _trace_tasks()
    return celery_app


def _trace_tasks() -> None:
    """Carry the trace of the work that queued a task into the task (once per process)."""
    from opentelemetry.instrumentation.celery import CeleryInstrumentor

    instrumentor = CeleryInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def _count_tasks(app: Flask, celery_app: Celery) -> None:
    """Count finished tasks and their time in the service's metrics (see backbone.metrics)."""
    from celery import signals

    from backbone import metrics

    started: dict[str, float] = {}

    def prerun(task_id=None, task=None, **_):
        if task is not None and task.app is celery_app:
            started[task_id] = time.monotonic()

    def postrun(task_id=None, task=None, state=None, **_):
        if task is None or task.app is not celery_app:
            return
        seconds = time.monotonic() - started.pop(task_id, time.monotonic())
        try:
            from backbone.web import get_redis

            pipe = get_redis(app).pipeline(transaction=False)
            metrics.count(pipe, app.config["STREAM_PREFIX"], app.extensions["service"], "tasks", {f"{task.name}|{state}": 1})
            metrics.count(
                pipe, app.config["STREAM_PREFIX"], app.extensions["service"], "task_seconds", {task.name: float(seconds)}
            )
            pipe.execute()
        except Exception:  # noqa: BLE001 - counting must never fail a task
            pass

    signals.task_prerun.connect(prerun, weak=False)
    signals.task_postrun.connect(postrun, weak=False)
