"""The consumer: applies a service's events exactly once in effect, whatever is redelivered.

One consumer group per service on every stream it reads (created from the stream's first entry).
A batch is applied in one database transaction together with its `processed_event` rows, and
acknowledged (XACK) only after the commit: a crash in between redelivers the batch, and the
`processed_event` rows turn the redelivery into a no-op.

An event that fails is retried on its own, so it never holds back the events around it; entries
left pending by a crashed or failing consumer are reclaimed with XAUTOCLAIM once idle. After
`max_attempts` failures, or at once if it breaks the contract (malformed, unknown version), the
entry moves to the service's dead-letter stream with its error, where an operator can re-drive it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from itertools import groupby
from typing import Callable

import redis
import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session

from backbone import contract, metrics, streams, tracing
from backbone.db import Database, insert_ignoring_conflicts, utcnow
from backbone.events import ContractError, Event, UnknownEventType, decode
from backbone.failpoints import failpoint
from backbone.outbox import processed_event

log = structlog.get_logger("backbone.consumer")

Handler = Callable[[Session, Event], None]


def batch_handler(handler: Callable[[Session, list[Event]], None]):
    """Mark a handler that takes a list of consecutive events of its type at once (fewer statements)."""
    handler.batch = True
    return handler


#: failures of the infrastructure, not of the event: wait and retry, never count them against it
TRANSIENT = (redis.ConnectionError, redis.TimeoutError, sa.exc.OperationalError, sa.exc.InterfaceError)


@dataclass(frozen=True)
class Message:
    key: str
    entry_id: str
    fields: dict | None

    @property
    def raw(self) -> str:
        return (self.fields or {}).get("event", "")


class Consumer:
    """Consume the streams a service subscribes to and apply each event with its handler."""

    def __init__(
        self,
        *,
        db: Database,
        redis_client: redis.Redis,
        prefix: str,
        service: str,
        handlers: dict[str, Handler],
        name: str | None = None,
        batch_size: int = 100,
        block_ms: int = 1000,
        claim_idle_ms: int = 30_000,
        claim_every_seconds: float = 5.0,
        max_attempts: int = 5,
        context: Callable[[], contextlib.AbstractContextManager] | None = None,
    ):
        self.db = db
        self.redis = redis_client
        self.prefix = prefix
        self.group = service
        self.handlers = handlers
        self.name = name or f"{service}-{socket.gethostname()}-{os.getpid()}"
        self.families = contract.streams_read_by(service)
        self.keys = [streams.stream_key(prefix, family) for family in self.families]
        self.family_of = dict(zip(self.keys, self.families, strict=True))
        self.dead_key = streams.dead_letter_key(prefix, service)
        self.attempts_key = f"{prefix}attempts:{service}"
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.claim_every_seconds = claim_every_seconds
        self.max_attempts = max_attempts
        self.context = context or contextlib.nullcontext
        self._stop = threading.Event()
        #: where the pass over our own unacknowledged entries has got to (None: no pass under way)
        self._own_pending: dict[str, str] | None = {key: "0" for key in self.keys}
        self.applied = 0
        self.duplicates = 0
        self.dead_lettered = 0

    # -- the loop -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to return after the current batch."""
        self._stop.set()

    def setup(self) -> None:
        """Create this service's consumer groups (from each stream's first entry) if they are missing."""
        streams.ensure_groups(self.redis, self.prefix, self.families)

    def run(self) -> None:
        """Consume until stopped, backing off while Redis or the database is unreachable."""
        log.info("consumer started", group=self.group, consumer=self.name, streams=list(self.families))
        backoff = 0.1
        next_claim = 0.0
        ready = False
        while not self._stop.is_set():
            try:
                if not ready:
                    self.setup()
                    ready = True
                if time.monotonic() >= next_claim:
                    self.reclaim()
                    next_claim = time.monotonic() + self.claim_every_seconds
                self.poll()
                backoff = 0.1
            except redis.ResponseError as error:
                if "NOGROUP" not in str(error):
                    raise
                # the stream or group vanished (a Redis restarted without its data): create them again
                log.error("consumer group missing, creating it again", error=str(error))
                ready = False
            except TRANSIENT as error:
                log.warning("consumer waiting: a dependency is unreachable", error=str(error), retry_in=backoff)
                ready = False
                self._own_pending = {key: "0" for key in self.keys}
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        log.info("consumer stopped", applied=self.applied, duplicates=self.duplicates)

    def poll(self) -> int:
        """Read and handle one batch: after a restart or an outage, first one pass over our own pending entries."""
        if self._own_pending is not None:
            response = self.redis.xreadgroup(self.group, self.name, self._own_pending, count=self.batch_size)
            messages = self._messages(response)
            if messages:
                for message in messages:  # one pass only: what fails again waits for reclaim()
                    self._own_pending[message.key] = message.entry_id
                self.handle(messages, isolated=True)
                return len(messages)
            self._own_pending = None
        response = self.redis.xreadgroup(
            self.group, self.name, {key: ">" for key in self.keys}, count=self.batch_size, block=self.block_ms
        )
        messages = self._messages(response)
        if messages:
            self.handle(messages)
        return len(messages)

    def reclaim(self) -> int:
        """Take over entries idle for `claim_idle_ms` in any consumer of the group, and handle them."""
        handled = 0
        for key in self.keys:
            cursor = "0-0"
            while True:
                cursor, claimed, deleted = self.redis.xautoclaim(
                    key, self.group, self.name, self.claim_idle_ms, start_id=cursor, count=self.batch_size
                )
                if deleted:
                    self.redis.xack(key, self.group, *deleted)
                messages = [Message(key, entry_id, fields) for entry_id, fields in claimed]
                if messages:
                    self.handle(messages, isolated=True)
                    handled += len(messages)
                if cursor in ("0-0", b"0-0"):
                    break
        self._forget_idle_consumers()
        return handled

    def _forget_idle_consumers(self) -> None:
        # Consumers are named per process; drop those long gone that hold nothing.
        for key in self.keys:
            for info in self.redis.xinfo_consumers(key, self.group):
                if info["name"] != self.name and info["pending"] == 0 and info["idle"] > 3_600_000:
                    self.redis.xgroup_delconsumer(key, self.group, info["name"])

    def _messages(self, response) -> list[Message]:
        return [Message(key, entry_id, fields) for key, entries in (response or []) for entry_id, fields in entries]

    # -- handling -------------------------------------------------------------------------------

    def handle(self, messages: list[Message], *, isolated: bool = False) -> None:
        """Apply a batch in one transaction; if anything in it fails, apply each entry on its own."""
        to_ack: list[Message] = []
        work: list[tuple[Message, Event]] = []
        for message in messages:
            if not message.fields:  # deleted from the stream before we read it
                to_ack.append(message)
                continue
            if message.fields.get("type") not in self.handlers:  # not for us: no need to read it
                to_ack.append(message)
                continue
            try:
                event = decode(message.raw)
            except UnknownEventType:
                to_ack.append(message)  # a type added after this code: nobody here handles it
                continue
            except ContractError as error:
                self.dead_letter(message, f"refused by the contract: {error}", attempts=1)
                continue
            if event.type in self.handlers:
                work.append((message, event))
            else:
                to_ack.append(message)
        self._ack(to_ack)
        if not work:
            return
        if not isolated:
            try:
                self._apply(work)
                self._ack([message for message, _ in work])
                return
            except TRANSIENT:
                raise
            except Exception:
                log.warning("batch failed, applying its events one by one", group=self.group, size=len(work))
        for message, event in work:
            try:
                self._apply([(message, event)])
            except TRANSIENT:
                raise
            except Exception as error:
                self._failed(message, event, error)
                continue
            pipe = self.redis.pipeline()
            pipe.xack(message.key, self.group, message.entry_id)
            pipe.hdel(self.attempts_key, self._attempt_field(message))
            pipe.execute()

    def _apply(self, work: list[tuple[Message, Event]]) -> None:
        now = utcnow()
        with self.context(), self.db.transaction() as session:
            rows = {}
            for _, event in work:
                rows.setdefault(
                    event.event_id,
                    {"consumer": self.group, "event_id": event.event_id, "type": event.type, "processed_at": now},
                )
            fresh = {
                row.event_id
                for row in insert_ignoring_conflicts(
                    session, processed_event, list(rows.values()), returning=[processed_event.c.event_id]
                )
            }
            todo = []
            for _, event in work:
                if event.event_id in fresh:
                    fresh.discard(event.event_id)  # the same event twice in one batch is applied once
                    todo.append(event)
            for type_, run in groupby(todo, key=lambda event: event.type):
                handler = self.handlers[type_]
                if getattr(handler, "batch", False):
                    events = list(run)
                    with tracing.applying_batch([e.traceparent for e in events], f"apply {type_} x{len(events)}"):
                        handler(session, events)
                    continue
                for event in run:
                    with (
                        tracing.continuing(event.traceparent, event.trace_id, f"apply {event.type}"),
                        structlog.contextvars.bound_contextvars(event_id=str(event.event_id), trace_id=event.trace_id),
                    ):
                        handler(session, event)
            applied = len(todo)
        failpoint("consumer.after-commit")  # committed, not yet acknowledged: the redelivery must change nothing
        self.applied += applied
        self.duplicates += len(work) - applied
        applied_types = Counter(f"{event.type}|applied" for event in todo)
        duplicate_types = Counter(f"{event.type}|duplicate" for _, event in work)
        duplicate_types.subtract(Counter(f"{event.type}|duplicate" for event in todo))
        self._count(applied_types + duplicate_types)

    def _count(self, outcomes: dict[str, int]) -> None:
        try:
            metrics.count(self.redis, self.prefix, self.group, "events_consumed", dict(outcomes))
        except redis.RedisError:
            pass  # a lost count must not fail an applied batch

    def _ack(self, messages: list[Message]) -> None:
        by_key: dict[str, list[str]] = {}
        for message in messages:
            by_key.setdefault(message.key, []).append(message.entry_id)
        for key, ids in by_key.items():
            self.redis.xack(key, self.group, *ids)

    def _attempt_field(self, message: Message) -> str:
        return f"{self.family_of[message.key]}:{message.entry_id}"

    def _failed(self, message: Message, event: Event, error: Exception) -> None:
        attempts = self.redis.hincrby(self.attempts_key, self._attempt_field(message), 1)
        log.warning(
            "event failed",
            group=self.group,
            type=event.type,
            event_id=str(event.event_id),
            attempts=attempts,
            error=repr(error),
        )
        self._count({f"{event.type}|failed": 1})
        if attempts >= self.max_attempts:
            self.dead_letter(message, repr(error), attempts=attempts)
        # otherwise it stays pending and comes back through reclaim() once idle

    def dead_letter(self, message: Message, error: str, *, attempts: int) -> None:
        """Move an entry to the dead-letter stream with its error, and acknowledge it (atomically)."""
        log.error("event dead-lettered", group=self.group, entry_id=message.entry_id, error=error, attempts=attempts)
        pipe = self.redis.pipeline(transaction=True)
        pipe.xadd(
            self.dead_key,
            {
                "stream": self.family_of[message.key],
                "entry_id": message.entry_id,
                "event": message.raw,
                "error": error[:2000],
                "attempts": attempts,
                "failed_at": utcnow().isoformat(),
                "consumer": self.name,
            },
        )
        pipe.xack(message.key, self.group, message.entry_id)
        pipe.hdel(self.attempts_key, self._attempt_field(message))
        metrics.count(pipe, self.prefix, self.group, "events_consumed", {f"{message.fields.get('type', '?')}|dead_lettered": 1})
        pipe.execute()
        self.dead_lettered += 1

    # -- operator tools -------------------------------------------------------------------------

    def dead_letters(self, count: int = 100) -> list[dict]:
        """The oldest entries of this service's dead-letter stream."""
        return [{"id": entry_id, **fields} for entry_id, fields in self.redis.xrange(self.dead_key, count=count)]

    def redrive(self, entry_ids: list[str] | None = None) -> dict[str, str]:
        """Apply dead letters again (after a fix); those that now succeed leave the dead-letter stream."""
        results: dict[str, str] = {}
        for letter in self.dead_letters(count=10_000):
            if entry_ids and letter["id"] not in entry_ids:
                continue
            try:
                event = decode(letter["event"])
                if event.type in self.handlers:
                    self._apply([(Message(letter["stream"], letter["entry_id"], letter), event)])
            except TRANSIENT:
                raise
            except Exception as error:
                self.redis.xadd(self.dead_key, {**{k: v for k, v in letter.items() if k != "id"}, "error": repr(error)[:2000]})
                self.redis.xdel(self.dead_key, letter["id"])
                results[letter["id"]] = f"failed again: {error!r}"
                continue
            self.redis.xdel(self.dead_key, letter["id"])
            results[letter["id"]] = "applied"
        return results


def dump_letter(letter: dict) -> str:
    """One dead letter as a line of JSON for an operator's terminal."""
    return json.dumps(letter, default=str)
