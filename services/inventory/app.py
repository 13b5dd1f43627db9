"""Build the inventory service."""

from pathlib import Path

from backbone.web import create_service_app, register_api
from services.inventory.api import blp
from services.inventory.config import Config
from services.inventory.consumers import HANDLERS


def create_app(config: dict | None = None):
    """The inventory app: catalogue and stock API, its outbox relay and its sales consumer."""
    app = create_service_app(
        "inventory",
        __name__,
        title="Inventory",
        defaults=Config,
        config=config,
        migrations=Path(__file__).parent / "migrations",
        handlers=HANDLERS,
        publishes=True,
    )
    register_api(app, blp)
    return app
