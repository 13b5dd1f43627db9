"""Inventory's operator commands: `flask --app services.inventory.app catalogue ...`."""

import click
from flask.cli import with_appcontext

from backbone.web import get_db
from services.inventory import imports


class _DryRun(Exception):
    """Roll the transaction back: a dry run writes nothing."""


@click.group("catalogue")
def catalogue_cli():
    """The network's catalogue of producers and products."""


@catalogue_cli.command("import")
@click.option("--producers", type=click.File("rb"), help="CSV file of producers.")
@click.option("--products", type=click.File("rb"), help="CSV file of products.")
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
@with_appcontext
def import_command(producers, products, dry_run):
    """Import producers and products from CSV files: every row, or none if any is wrong."""
    if producers is None and products is None:
        raise click.UsageError("give --producers, --products, or both")
    files = {"producers": producers, "products": products}
    try:
        with get_db().transaction() as session:
            imported = imports.import_catalogue(
                session=session, **{name: file.read() for name, file in files.items() if file is not None}
            )
            counts = f"{len(imported.producers)} producers and {len(imported.products)} products"
            if dry_run:
                raise _DryRun()
    except _DryRun:
        click.echo(f"dry run: {counts} would be imported")
        return
    except imports.ImportRefused as refused:
        for file, lines in refused.errors.items():
            for line, columns in sorted(lines.items()):
                for column, messages in columns.items():
                    for message in messages:
                        click.echo(f"{files[file].name}:{line}: {column}: {message}", err=True)
        raise click.ClickException(f"nothing was imported: {refused}") from None
    click.echo(f"imported {counts}")
