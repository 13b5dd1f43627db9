"""Identity's operator commands: `flask --app services.identity.app keys ...`."""

import click
from flask import current_app
from flask.cli import with_appcontext

from backbone.auth import ADMINISTRATOR
from backbone.web import get_db
from services.identity import service

keys_cli = click.Group("keys", help="API keys.")


@keys_cli.command("create-admin")
@click.option("--label", default="first administrator", show_default=True)
@click.option("--days", default=365, show_default=True, help="Days until the key expires.")
@with_appcontext
def create_admin(label, days):
    """Create an administrator key and print it once (bootstrap: the first key of a network)."""
    with get_db().transaction() as session:
        row, secret = service.issue_key(session=session, role=ADMINISTRATOR, label=label, valid_days=days)
    click.echo(secret)
    click.echo(
        f"key {row.id} ({ADMINISTRATOR}), valid until {row.expires_at:%Y-%m-%d}: store it now, it is not shown again", err=True
    )
    if not current_app.config.get("SIGNING_KEY"):
        click.echo("warning: IDENTITY_SIGNING_KEY is not set; tokens cannot be issued until it is", err=True)
