"""Build the notifications service."""

from pathlib import Path

from backbone.metrics import register_gauges
from backbone.tasks import celery_init_app
from backbone.web import create_service_app, register_api
from services.notifications.api import blp
from services.notifications.config import Config
from services.notifications.consumers import HANDLERS
from services.notifications.tasks import DIGEST, SWEEP, register_tasks


def create_app(config: dict | None = None):
    """The notifications app: alerts and preferences API, its event consumer, its delivery and digest workers."""
    app = create_service_app(
        "notifications",
        __name__,
        title="Notifications",
        defaults=Config,
        config=config,
        migrations=Path(__file__).parent / "migrations",
        handlers=HANDLERS,
        secured=True,
    )
    register_api(app, blp)
    celery = celery_init_app(
        app,
        queue="notifications",
        beat_schedule={
            "sweep-deliveries": {"task": SWEEP, "schedule": app.config["SWEEP_EVERY_SECONDS"]},
            # asked often, made once a day: a beat that was down at the hour still sends it later
            "daily-digest": {"task": DIGEST, "schedule": app.config["DIGEST_CHECK_EVERY_SECONDS"]},
        },
    )
    register_tasks(celery, app.config)
    register_gauges(app, delivery_gauges)
    return app


def delivery_gauges() -> list:
    """Alert deliveries by channel and status, read when /metrics is scraped."""
    import sqlalchemy as sa
    from prometheus_client.core import GaugeMetricFamily

    from backbone.web import get_db
    from services.notifications.models import Delivery

    family = GaugeMetricFamily(
        "sp_deliveries", "Alert and digest deliveries, by channel and status", labels=["channel", "status"]
    )
    with get_db().transaction() as session:
        rows = session.execute(
            sa.select(Delivery.channel, Delivery.status, sa.func.count()).group_by(Delivery.channel, Delivery.status)
        )
        for channel, status, count in rows:
            family.add_metric([channel, status], count)
    return [family]
