"""Build the sales service."""

from pathlib import Path

from backbone.web import create_service_app, register_api
from services.sales.api import blp
from services.sales.consumers import HANDLERS


def create_app(config: dict | None = None):
    """The sales app: receipts API, its outbox relay and its catalogue consumer."""
    app = create_service_app(
        "sales",
        __name__,
        title="Sales",
        config=config,
        migrations=Path(__file__).parent / "migrations",
        handlers=HANDLERS,
        publishes=True,
        secured=True,
    )
    register_api(app, blp)
    return app
