"""Celery for the services that run background work (reporting, notifications).

Tasks run inside the Flask app context (the pattern of Flask's own Celery example); messages are
JSON only; tasks are acknowledged late and given back to the queue if a worker dies mid-task, so
every task must be idempotent. Queues are declared with kombu. All Celery keys live under the
network's prefix, so several networks can share one Redis. Beat may run twice (a deploy that
overlaps, an operator's mistake): each periodic task is still sent once per period.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

import redis
from celery import Celery, Task
from celery.beat import PersistentScheduler, ScheduleEntry
from celery.schedules import crontab
from celery.schedules import schedule as interval
from celery.utils.log import get_logger
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
        beat_scheduler="backbone.tasks:OncePerPeriodScheduler",
        timezone="Europe/Rome",
        enable_utc=True,
    )
    celery_app.conf.update(app.config.get("CELERY", {}))
    app.extensions["celery"] = celery_app
    _count_tasks(app, celery_app)
    _trace_tasks()
    return celery_app


_beat_log = get_logger("backbone.tasks.beat")


def period_of(entry: ScheduleEntry, now: datetime | None = None) -> tuple[int, int]:
    """(start, length) in epoch seconds of the period a due entry is sent for, the same in every beat.

    An interval entry's period is its slot of wall-clock time (each beat is due once per interval,
    whatever its phase); a crontab's is the latest time it was due at, whatever the beat's last run
    and however late it wakes.
    """
    if isinstance(entry.schedule, interval):
        length = max(int(entry.schedule.run_every.total_seconds()), 1)
        return int(now.timestamp() if now else time.time()) // length * length, length
    if isinstance(entry.schedule, crontab):
        now = now or entry.schedule.now()
        due = _next_time(entry.schedule, entry.last_run_at)
        while (following := _next_time(entry.schedule, due)) <= now:
            due = following
        return int(due.timestamp()), 60
    due = (now or entry.schedule.now()) + entry.schedule.remaining_estimate(entry.last_run_at)
    return round(due.timestamp() / 60) * 60, 60


def _next_time(schedule: crontab, after: datetime) -> datetime:
    start, delta, _ = schedule.remaining_delta(after)
    return start + delta


class OncePerPeriodScheduler(PersistentScheduler):
    """Beat's scheduler, safe to run twice: an entry is sent once per period among every running beat.

    Before sending, a beat claims the entry's period with SET NX in the broker's Redis (atomic,
    whatever the number of beats); a beat that finds it claimed skips that period.
    """

    _client: redis.Redis | None = None

    def apply_entry(self, entry, producer=None):
        start, length = period_of(entry)
        options = self.app.conf.broker_transport_options or {}
        key = f"{options.get('global_keyprefix', '')}beat:{entry.name}:{start}"
        if self._client is None:
            self._client = redis.Redis.from_url(self.app.conf.broker_url, socket_timeout=5)
        try:
            # a crontab's claim is kept a day: a beat that wakes late must still find it
            keep = 2 * length if isinstance(entry.schedule, interval) else 86_400
            claimed = self._client.set(key, f"{socket.gethostname()}:{os.getpid()}", nx=True, ex=keep)
        except redis.RedisError as error:  # the broker is down: the task could not be sent anyway
            _beat_log.error("Scheduler: cannot claim %s for its period, not sent: %r", entry.name, error)
            return
        if not claimed:
            _beat_log.info("Scheduler: %s already sent for this period by another beat", entry.name)
            return
        super().apply_entry(entry, producer=producer)


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
