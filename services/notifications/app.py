"""Build the notifications service."""

from pathlib import Path

from backbone.tasks import celery_init_app
from backbone.web import create_service_app, register_api
from services.notifications.api import blp
from services.notifications.config import Config
from services.notifications.consumers import HANDLERS
from services.notifications.tasks import SWEEP, register_tasks


def create_app(config: dict | None = None):
    """The notifications app: alerts API, its stock-event consumer and its delivery workers."""
    app = create_service_app(
        "notifications",
        __name__,
        title="Notifications",
        defaults=Config,
        config=config,
        migrations=Path(__file__).parent / "migrations",
        handlers=HANDLERS,
    )
    register_api(app, blp)
    celery = celery_init_app(
        app,
        queue="notifications",
        beat_schedule={"sweep-deliveries": {"task": SWEEP, "schedule": app.config["SWEEP_EVERY_SECONDS"]}},
    )
    register_tasks(celery, app.config)
    return app
