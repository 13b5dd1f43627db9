"""Build the inventory service."""

from pathlib import Path

from backbone.web import create_service_app, register_api
from services.inventory import api, stock_api
from services.inventory.cli import catalogue_cli
from services.inventory.config import Config
from services.inventory.consumers import HANDLERS


def create_app(config: dict | None = None):
    """The inventory app: catalogue and stock API, its outbox relay, its sales consumer, its CLI."""
    app = create_service_app(
        "inventory",
        __name__,
        title="Inventory",
        defaults=Config,
        config=config,
        migrations=Path(__file__).parent / "migrations",
        handlers=HANDLERS,
        publishes=True,
        secured=True,
    )
    register_api(app, api.blp, stock_api.blp)
    app.cli.add_command(catalogue_cli)
    return app
