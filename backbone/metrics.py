"""What every service shows at /metrics (Prometheus): requests, the bus, Celery, domain gauges.

Request rate and latency by route come from prometheus-flask-exporter, per API process. Everything
that happens in other processes (relays, consumers, Celery workers, any number of replicas) is
counted in Redis hashes, one small HINCRBY per batch, and read back at scrape time, so any API
replica shows the whole service's figures. Backlogs and lags are read live from the database and
Redis when scraped.
"""

from __future__ import annotations

from typing import Callable

import redis
from flask import Flask, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_flask_exporter import PrometheusMetrics

from backbone import contract, streams
from backbone.outbox import backlog


def counter_key(prefix: str, service: str, name: str) -> str:
    """The Redis hash holding one counter of a service, one field per label value."""
    return f"{prefix}metrics:{service}:{name}"


def count(client: redis.Redis | redis.client.Pipeline, prefix: str, service: str, name: str, values: dict[str, float]) -> None:
    """Add to a service's counters (in a pipeline if given one)."""
    for label, amount in values.items():
        if amount:
            if isinstance(amount, float):
                client.hincrbyfloat(counter_key(prefix, service, name), label, amount)
            else:
                client.hincrby(counter_key(prefix, service, name), label, amount)


#: counters kept in Redis: name -> (help, label names the field splits into)
COUNTERS = {
    "events_published": ("Events the relay put on the streams, by type", ("type",)),
    "events_consumed": ("Events read by the consumer, by type and outcome", ("type", "outcome")),
    "tasks": ("Celery tasks finished, by task and state", ("task", "state")),
    "task_seconds": ("Seconds spent in Celery tasks, by task", ("task",)),
}


class ServiceCollector:
    """Scrape-time figures of one service: its bus, its Celery work, and any gauges it adds."""

    def __init__(self, app: Flask, extra: list[Callable[[], list]] | None = None):
        self.app = app
        self.extra = extra if extra is not None else []  # the app's own list: gauges registered later count

    def collect(self):
        app = self.app
        service = app.extensions["service"]
        prefix = app.config["STREAM_PREFIX"]
        from backbone.web import get_redis

        client = get_redis(app)
        try:
            yield from self._counters(client, prefix, service)
            yield from self._bus(client, prefix, service)
        except redis.RedisError:
            pass  # Redis down: /metrics still answers with what the process itself knows
        try:
            with app.extensions["db"].transaction() as session:
                count_, age = backlog(session)
            yield GaugeMetricFamily("sp_outbox_backlog", "Outbox rows not yet published", value=count_)
            yield GaugeMetricFamily("sp_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", value=age or 0)
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database does
            pass
        for gauges in self.extra:
            try:
                with app.app_context():
                    yield from list(gauges())
            except Exception:  # noqa: BLE001 - one failing figure must not fail the scrape
                pass

    def _counters(self, client, prefix, service):
        for name, (help_text, labels) in COUNTERS.items():
            family = CounterMetricFamily(f"sp_{name}", help_text, labels=labels)
            for field, value in client.hgetall(counter_key(prefix, service, name)).items():
                family.add_metric(field.split("|"), float(value))
            yield family

    def _bus(self, client, prefix, service):
        lag = GaugeMetricFamily("sp_consumer_lag", "Entries of the stream not yet read by this service", labels=["stream"])
        pending = GaugeMetricFamily("sp_consumer_pending", "Entries read but not yet acknowledged", labels=["stream"])
        for family in contract.streams_read_by(service):
            key = streams.stream_key(prefix, family)
            if not client.exists(key):
                continue
            for info in client.xinfo_groups(key):
                if info["name"] == service:
                    lag.add_metric([family], float(info.get("lag") or 0))
                    pending.add_metric([family], float(info["pending"]))
        yield lag
        yield pending
        yield GaugeMetricFamily(
            "sp_dead_letters",
            "Events parked in this service's dead-letter stream",
            value=client.xlen(streams.dead_letter_key(prefix, service)),
        )


def register_gauges(app: Flask, gauges: Callable[[], list]) -> None:
    """Add a service's own scrape-time figures (a function returning metric families) to its /metrics."""
    app.extensions.setdefault("metrics_gauges", []).append(gauges)


def init_metrics(app: Flask) -> None:
    """Serve /metrics for the app, with its own registry (several apps may live in one process)."""
    registry = CollectorRegistry(auto_describe=True)
    PrometheusMetrics(app, path=None, registry=registry, group_by="url_rule", defaults_prefix="sp")
    collector = ServiceCollector(app, app.extensions.setdefault("metrics_gauges", []))
    registry.register(collector)

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    metrics.public = True
