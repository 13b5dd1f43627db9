"""The transactional outbox and the record of processed events, one pair of tables per service.

A service writes its business rows and the events that describe them in the same transaction
(`publish`); the relay moves committed outbox rows to Redis afterwards. If Redis is down the write
still succeeds and the event waits in the table. Consumers record each event they applied in
`processed_event`, in the same transaction as its effect, so a redelivered event changes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import UTCDateTime, utcnow
from backbone.events import Event, encode

metadata = sa.MetaData()

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("stream", sa.String(50), nullable=False),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("published_at", UTCDateTime(), nullable=True),
    sa.Index(
        "ix_outbox_unpublished",
        "id",
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    ),
)

processed_event = sa.Table(
    "processed_event",
    metadata,
    sa.Column("consumer", sa.String(50), primary_key=True),
    sa.Column("event_id", sa.Uuid(), primary_key=True),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("processed_at", UTCDateTime(), nullable=False),
)


#: every write made through a service's API: who (which key, which role), when, what
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("key_id", sa.String(32), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("path", sa.String(500), nullable=False),
    sa.Column("endpoint", sa.String(100), nullable=False),
    sa.Column("trace_id", sa.String(64), nullable=True),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_key_id", "key_id", "at"),
)


def publish(session: Session, *events: Event) -> None:
    """Add events to the outbox inside the caller's transaction: they exist if and only if it commits."""
    if not events:
        return
    now = utcnow()
    session.execute(
        outbox.insert(),
        [
            {
                "event_id": event.event_id,
                "stream": event.stream,
                "type": event.type,
                "payload": encode(event),
                "created_at": now,
            }
            for event in events
        ],
    )


def backlog(session: Session) -> tuple[int, float | None]:
    """How many outbox rows wait for the relay, and the age in seconds of the oldest one."""
    count, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
    ).one()
    if oldest is None:
        return 0, None
    return count, (utcnow() - oldest).total_seconds()
