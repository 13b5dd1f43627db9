from alembic import context

from backbone.migrations import run_migrations
from services.identity.models import Base

run_migrations(context, Base.metadata)
