"""Build the identity service."""

from pathlib import Path

from backbone.web import create_service_app, register_api
from services.identity.api import blp
from services.identity.cli import keys_cli
from services.identity.config import Config


def create_app(config: dict | None = None):
    """The identity app: API keys and the tokens every other service verifies."""
    app = create_service_app(
        "identity",
        __name__,
        title="Identity",
        defaults=Config,
        config=config,
        migrations=Path(__file__).parent / "migrations",
        secured=True,
    )
    register_api(app, blp)
    app.cli.add_command(keys_cli)
    return app
