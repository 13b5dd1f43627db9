"""The operator's one command: `sp --help`.

Database and Redis work runs in-process through each service's own app (configured from the same
environment as the services: `<SERVICE>_DATABASE_URL`, `REDIS_URL`, ...). Onboarding a village goes
through the public APIs, like a village office would, with an administrator key (`SP_API_KEY`) and
the services' addresses (`SP_<SERVICE>_URL`, default the local run's ports).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

import click
from flask.cli import ScriptInfo

from deploy.network import DEFAULT_PORTS, ROOT, SERVICES


def _app(service: str):
    return importlib.import_module(f"services.{service}.app").create_app()


def _run(service: str, *args: str) -> None:
    """Run one of a service's own commands (`flask --app services.<service>.app ...`)."""
    app = _app(service)
    app.cli.main(args=list(args), prog_name=f"sp {service}", obj=ScriptInfo(create_app=lambda: app), standalone_mode=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Operate a selling-places network: databases, keys, villages, the event bus, reports."""


@main.command()
@click.argument("services", nargs=-1, type=click.Choice(SERVICES))
def migrate(services):
    """Bring the services' databases (all, or those named) to their newest schema."""
    from backbone.db import migrate as upgrade

    for service in services or SERVICES:
        url = os.environ.get(f"{service.upper()}_DATABASE_URL")
        if not url:
            raise click.UsageError(f"set {service.upper()}_DATABASE_URL")
        upgrade(url, ROOT / "services" / service / "migrations")
        click.echo(f"{service}: migrated")


# -- keys ----------------------------------------------------------------------------------------


@main.group()
def keys():
    """API keys (identity)."""


@keys.command("create-admin")
@click.option("--label", default="administrator", show_default=True)
@click.option("--days", default=365, show_default=True)
def create_admin(label, days):
    """Create an administrator key and print it once."""
    _run("identity", "keys", "create-admin", "--label", label, "--days", str(days))


# -- the catalogue ---------------------------------------------------------------------------------


@main.command("import")
@click.option("--producers", type=click.Path(exists=True, dir_okay=False))
@click.option("--products", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row, import nothing.")
def import_catalogue(producers, products, dry_run):
    """Import producers and products from a village office's CSV files (all or nothing)."""
    args = ["catalogue", "import"]
    if producers:
        args += ["--producers", producers]
    if products:
        args += ["--products", products]
    if dry_run:
        args.append("--dry-run")
    _run("inventory", *args)


@main.group()
def village():
    """Villages joining the network."""


@village.command("onboard")
@click.argument("template", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--api-key", envvar="SP_API_KEY", required=True, help="An administrator key (or SP_API_KEY).")
def onboard(template, api_key):
    """Onboard a village from a template: village, selling places, producers, products, thresholds, alerts.

    Safe to run again: what already exists (by ISTAT code, by name) is kept.
    """
    from deploy.onboarding import onboard_village

    urls = {s: os.environ.get(f"SP_{s.upper()}_URL", f"http://127.0.0.1:{DEFAULT_PORTS[s]}") for s in SERVICES}
    summary = onboard_village(json.loads(template.read_text()), urls=urls, api_key=api_key, say=click.echo)
    click.echo(json.dumps(summary, indent=2))


# -- the bus ---------------------------------------------------------------------------------------


@main.group()
def bus():
    """The event bus: backlog, lag, dead letters."""


@bus.command("status")
@click.argument("services", nargs=-1, type=click.Choice(SERVICES))
def bus_status(services):
    """Outbox backlog, consumer lag and pending entries, dead letters: per service."""
    for service in services or SERVICES:
        click.echo(f"== {service}")
        _run(service, "bus", "status")


@bus.command("dead-letters")
@click.argument("service", type=click.Choice(SERVICES))
@click.option("--count", default=100, show_default=True)
def dead_letters(service, count):
    """A service's dead letters, oldest first, one JSON line each."""
    _run(service, "bus", "dead-letters", "--count", str(count))


@bus.command("redrive")
@click.argument("service", type=click.Choice(SERVICES))
@click.argument("entry_ids", nargs=-1)
def redrive(service, entry_ids):
    """Apply a service's dead letters again (all, or the given ids) after a fix."""
    _run(service, "bus", "redrive", *entry_ids)


# -- invariants ------------------------------------------------------------------------------------


@main.command()
@click.option("--redis-url", envvar="REDIS_URL", help="The network's Redis (default: the services' REDIS_URL).")
@click.option("--allow-dead-letter", "allowed", multiple=True, metavar="EVENT_ID", help="A dead-lettered event not to count.")
def check(redis_url, allowed):
    """Check that nothing accepted was lost or counted twice: events, stock, reports, alerts (exit 1 if not)."""
    from deploy.invariants import check as check_invariants

    configs = {service: _app(service).config for service in SERVICES}
    report = check_invariants(
        {
            "database_urls": {service: config["DATABASE_URL"] for service, config in configs.items()},
            "redis_url": redis_url or configs["inventory"]["REDIS_URL"],
            "prefix": configs["inventory"]["STREAM_PREFIX"],
        },
        allow_dead_letters=allowed,
    )
    click.echo(report.summary())
    for difference in report.differences:
        click.echo(str(difference))
    if not report.ok:
        raise SystemExit(1)


# -- reports ---------------------------------------------------------------------------------------


@main.group()
def reports():
    """The figures (reporting)."""


@reports.command("rebuild")
@click.option("--from-streams", is_flag=True, help="First store again the events still on the streams.")
def rebuild(from_streams):
    """Recompute every aggregate from the stored facts (readers see the old figures until it is done)."""
    _run("reporting", "reporting", "rebuild", *(["--from-streams"] if from_streams else []))


if __name__ == "__main__":
    sys.exit(main())
