"""Build the notifications service."""

from pathlib import Path

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
    return app
