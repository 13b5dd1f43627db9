"""Build the reporting service."""

from pathlib import Path

from backbone.tasks import celery_init_app
from backbone.web import create_service_app, register_api
from services.reporting.api import blp
from services.reporting.api_province import blp as province_blp
from services.reporting.api_settlements import blp as settlements_blp
from services.reporting.cli import reporting_cli
from services.reporting.config import Config
from services.reporting.consumers import HANDLERS
from services.reporting.schemas import Month
from services.reporting.tasks import beat_schedule, register_tasks


def create_app(config: dict | None = None):
    """The reporting app: reports API, its event consumer and its aggregate workers."""
    app = create_service_app(
        "reporting",
        __name__,
        title="Reporting",
        defaults=Config,
        config=config,
        migrations=Path(__file__).parent / "migrations",
        handlers=HANDLERS,
        secured=True,
    )
    app.extensions["api"].register_field(Month, "string", None)  # YYYY-MM, not a date
    register_api(app, blp, settlements_blp, province_blp)
    celery = celery_init_app(
        app,
        queue="reporting",
        beat_schedule=beat_schedule(app.config),
    )
    register_tasks(celery)
    app.cli.add_command(reporting_cli)
    return app
