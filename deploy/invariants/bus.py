"""(a) Every event of every outbox was published and reached every consumer group that handles it."""

from __future__ import annotations

import importlib
import json

import sqlalchemy as sa

from backbone import contract, streams
from backbone.outbox import outbox, processed_event
from deploy.network import CONSUMERS, SERVICES


def handled_types(service: str) -> set[str]:
    """The event types a service's consumer applies (and so records in processed_event)."""
    return set(importlib.import_module(f"services.{service}.consumers").HANDLERS)


def dead_letters(source, service: str) -> dict[str, dict]:
    """A service's dead letters by event id (the last one of an event wins)."""
    letters = {}
    for entry_id, fields in source.redis.xrange(streams.dead_letter_key(source.prefix, service)):
        try:
            event_id = json.loads(fields.get("event", ""))["event_id"]
        except (ValueError, KeyError, TypeError):
            event_id = f"unreadable:{entry_id}"
        letters[str(event_id)] = {"entry_id": entry_id, **fields}
    return letters


def check(source, report, *, allowed: set[str]) -> None:
    """Compare each outbox with the processed events and dead letters of every subscriber."""
    processed = {
        service: {
            str(r.event_id)
            for r in source.rows(service, sa.select(processed_event.c.event_id).where(processed_event.c.consumer == service))
        }
        for service in CONSUMERS
    }
    handled = {service: handled_types(service) for service in CONSUMERS}
    letters = {service: dead_letters(source, service) for service in CONSUMERS}
    events = 0
    for publisher in SERVICES:
        rows = source.rows(publisher, sa.select(outbox.c.event_id, outbox.c.stream, outbox.c.type, outbox.c.published_at))
        for row in rows:
            events += 1
            event_id = str(row.event_id)
            if row.published_at is None:
                report.add(
                    "unpublished", event_id, "published", "in the outbox", f"{row.type} from {publisher} was never relayed"
                )
            for group in contract.groups_of(row.stream):
                if row.type not in handled.get(group, ()) or event_id in processed[group]:
                    continue
                letter = letters[group].get(event_id)
                if letter is None:
                    report.add(
                        "not_consumed",
                        event_id,
                        f"processed by {group}",
                        "missing",
                        f"{row.type} from {publisher} never reached {group}",
                    )
                elif event_id not in allowed:
                    report.add(
                        "dead_lettered", event_id, f"processed by {group}", f"dead letter {letter['entry_id']}",
                        f"{row.type} dead-lettered by {group}: {letter.get('error', '')[:200]}",
                    )  # fmt: skip
    report.checked["events"] = events
