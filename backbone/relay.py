"""The relay: moves committed outbox rows onto their Redis streams, at least once.

Rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED, so several relays can run side by side;
a row is marked published only after its XADD succeeded, in the same transaction that claimed it.
A relay that dies between the two leaves the row unpublished and it is sent again: consumers
deduplicate by event id, so a duplicate on the stream is harmless, a gap would not be.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import redis
import sqlalchemy as sa
import structlog

from backbone import contract, metrics, streams
from backbone.db import Database, utcnow
from backbone.failpoints import failpoint
from backbone.outbox import outbox

log = structlog.get_logger("backbone.relay")

TRANSIENT = (redis.ConnectionError, redis.TimeoutError, sa.exc.OperationalError, sa.exc.InterfaceError)


class Relay:
    """Publish one service's outbox to Redis Streams."""

    def __init__(
        self,
        *,
        db: Database,
        redis_client: redis.Redis,
        prefix: str,
        service: str = "relay",
        batch_size: int = 500,
        idle_seconds: float = 0.05,
        retention_seconds: float = 7 * 24 * 3600,
        trim_every_seconds: float = 60.0,
    ):
        self.db = db
        self.redis = redis_client
        self.prefix = prefix
        self.service = service
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.retention_seconds = retention_seconds
        self.trim_every_seconds = trim_every_seconds
        self._stop = threading.Event()
        self._groups_ready: set[str] = set()
        self._next_trim = 0.0
        self.published = 0

    def stop(self) -> None:
        """Ask the loop to finish its current batch and return."""
        self._stop.set()

    def publish_batch(self) -> int:
        """Publish up to one batch of unpublished rows; returns how many were published."""
        with self.db.transaction() as session:
            rows = session.execute(
                sa.select(outbox.c.id, outbox.c.stream, outbox.c.type, outbox.c.payload)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            self._ensure_groups({row.stream for row in rows})
            pipe = self.redis.pipeline(transaction=False)
            for row in rows:
                pipe.xadd(streams.stream_key(self.prefix, row.stream), {"type": row.type, "event": row.payload})
            metrics.count(pipe, self.prefix, self.service, "events_published", dict(Counter(row.type for row in rows)))
            pipe.execute()
            failpoint("relay.after-xadd")  # on the streams, not yet marked sent: they go out again
            session.execute(sa.update(outbox).where(outbox.c.id.in_([row.id for row in rows])).values(published_at=utcnow()))
        self.published += len(rows)
        return len(rows)

    def _ensure_groups(self, families: set[str]) -> None:
        # Every declared group exists before the first event lands, so none can miss it.
        missing = families - self._groups_ready
        if missing:
            streams.ensure_groups(self.redis, self.prefix, sorted(missing))
            self._groups_ready |= missing

    def trim_streams(self) -> None:
        """Apply retention to the streams this relay has published to."""
        for family in sorted(self._groups_ready):
            removed = streams.trim(self.redis, self.prefix, family, keep_seconds=self.retention_seconds)
            if removed:
                log.info("stream trimmed", stream=family, removed=removed)

    def run(self) -> None:
        """Publish until stopped, backing off while Redis or the database is unreachable."""
        log.info("relay started", families=list(contract.SUBSCRIPTIONS))
        backoff = 0.1
        while not self._stop.is_set():
            try:
                count = self.publish_batch()
                if time.monotonic() >= self._next_trim:
                    self.trim_streams()
                    self._next_trim = time.monotonic() + self.trim_every_seconds
                backoff = 0.1
            except TRANSIENT as error:
                log.warning("relay waiting: a dependency is unreachable", error=str(error), retry_in=backoff)
                self._groups_ready.clear()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if count < self.batch_size:
                self._stop.wait(self.idle_seconds)
        log.info("relay stopped", published=self.published)
