"""Identity's tables: the API keys, each bound to one role and one scope."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from backbone.db import NAMING_CONVENTION, UTCDateTime, utcnow


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class ApiKey(Base):
    """A credential of one principal: only an argon2 hash of its secret is kept."""

    __tablename__ = "api_key"

    id: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20))
    selling_place_id: Mapped[uuid.UUID | None]
    village_id: Mapped[uuid.UUID | None]
    producer_id: Mapped[uuid.UUID | None]
    label: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(sa.String(16))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
