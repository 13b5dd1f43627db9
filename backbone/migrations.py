"""The one Alembic environment every service's `migrations/env.py` delegates to."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from backbone.outbox import metadata as bus_metadata


def run_migrations(context, metadata: sa.MetaData) -> None:
    """Migrate the service's tables together with its outbox and processed-event tables."""
    url = context.config.attributes.get("database_url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: run migrations through `flask --app services.<name>.app db upgrade`")
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=[metadata, bus_metadata],
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
