"""Whom notifications tells and how: producers and selling places, their contacts and preferences.

A producer's contacts and language first come from the catalogue (ProducerRegistered, then
ProducerUpdated with a higher `revision`); operators manage them here afterwards. The rule that
keeps both honest: an event with a revision we already have changes nothing; a newer one changes
only the fields the catalogue itself changed, and not a field an operator changed here after the
event happened.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import upsert, utcnow
from services.notifications.models import Delivery, Label, Recipient

CHANNELS = ("email", "sms", "telegram", "webhook")
#: the contact each channel sends to
CONTACT_OF = {"email": "email", "sms": "phone", "telegram": "telegram_chat_id", "webhook": "webhook_url"}
CATALOGUE_FIELDS = ("name", "language", "email", "phone", "webhook_url", "telegram_chat_id")


# -- from the catalogue ------------------------------------------------------------------------


def catalogue_values(data: dict) -> dict:
    """The fields notifications keeps from a ProducerRegistered / ProducerUpdated payload."""
    contacts = data["contacts"]
    return {
        "name": data["name"],
        "language": data["language"],
        "email": contacts.get("email"),
        "phone": contacts.get("phone"),
        "webhook_url": contacts.get("webhook_url"),
        "telegram_chat_id": contacts.get("telegram_chat_id"),
    }


def merged(*, current: dict, previous: dict | None, incoming: dict, operator_changed_at: dict, occurred_at: datetime) -> dict:
    """The values after a newer catalogue revision: what the catalogue changed, unless an operator changed it later."""
    result = dict(current)
    for field, value in incoming.items():
        if previous is not None and previous.get(field) == value:
            continue  # not changed in the catalogue: keep what is here, perhaps an operator's choice
        changed_here = operator_changed_at.get(field)
        if changed_here is not None and datetime.fromisoformat(changed_here) >= occurred_at:
            continue  # the operator's change is the newer fact
        result[field] = value
    return result


def keep_producer(*, session: Session, data: dict, occurred_at: datetime, timezone_name: str) -> None:
    """Apply a producer's catalogue event: create the recipient, or apply a newer revision."""
    incoming = catalogue_values(data)
    revision = data["revision"]
    recipient = session.get(Recipient, data["producer_id"], with_for_update=True)
    if recipient is None:
        session.add(
            Recipient(
                id=data["producer_id"],
                kind="producer",
                village_id=data["home_village_id"],
                timezone=timezone_name,
                delivery_mode="immediate",
                revision=revision,
                catalogue=incoming,
                operator_changed_at={},
                **incoming,
            )
        )
        session.flush()
        return
    if revision <= recipient.revision:
        return  # an older or repeated revision: what we hold is at least as new
    current = {field: getattr(recipient, field) for field in CATALOGUE_FIELDS}
    values = merged(
        current=current,
        previous=recipient.catalogue,
        incoming=incoming,
        operator_changed_at=recipient.operator_changed_at or {},
        occurred_at=occurred_at,
    )
    for field, value in values.items():
        setattr(recipient, field, value)
    recipient.village_id = data["home_village_id"]
    recipient.revision = revision
    recipient.catalogue = incoming


def keep_selling_place(*, session: Session, data: dict) -> None:
    """A selling place joined: remember its name, and make it a recipient (its contacts are set here)."""
    place_id = data["selling_place_id"]
    keep_label(session=session, object_id=place_id, kind="selling_place", name=data["name"])
    recipient = session.get(Recipient, place_id)
    if recipient is None:
        session.add(
            Recipient(
                id=place_id,
                kind="selling_place",
                village_id=data["village_id"],
                name=data["name"],
                language="it",
                timezone=data["timezone"],
                delivery_mode="immediate",
                revision=0,
                operator_changed_at={},
            )
        )
        session.flush()
    else:
        recipient.name = data["name"]
        recipient.timezone = data["timezone"]
        recipient.village_id = data["village_id"]


def keep_label(*, session: Session, object_id: uuid.UUID, kind: str, name: str) -> None:
    """Remember the display name of a product or a selling place."""
    upsert(session, Label.__table__, {"id": object_id, "kind": kind, "name": name}, key=("id",))


# -- preferences -------------------------------------------------------------------------------


class PreferenceError(ValueError):
    """A preference that cannot hold; `field` names it for the caller."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def get(*, session: Session, recipient_id: uuid.UUID, kind: str) -> Recipient | None:
    """A recipient of `kind` (producer or selling_place), or None."""
    recipient = session.get(Recipient, recipient_id)
    return recipient if recipient is not None and recipient.kind == kind else None


def update_preferences(*, session: Session, recipient_id: uuid.UUID, kind: str, changes: dict) -> Recipient | None:
    """Apply an operator's changes (only the fields given) and remember when each was changed."""
    recipient = session.get(Recipient, recipient_id, with_for_update=True)
    if recipient is None or recipient.kind != kind:
        return None
    now = utcnow()
    changed = dict(recipient.operator_changed_at or {})
    flat = dict(changes)
    flat.update(flat.pop("contacts", {}))
    if "quiet_hours" in flat:
        flat.update(flat.pop("quiet_hours") or {"quiet_from": None, "quiet_until": None})
    for field, value in flat.items():
        setattr(recipient, field, value)
        changed[field] = now.isoformat()
    recipient.operator_changed_at = changed
    for channel in recipient.channels or ():
        if not getattr(recipient, CONTACT_OF[channel]):
            raise PreferenceError("channels", f"{channel} is chosen but there is no {CONTACT_OF[channel]} to send to.")
    if "quiet_from" in flat:
        # what the old quiet hours hold goes out when the new ones allow (the sweep sends it)
        session.execute(
            sa.update(Delivery)
            .where(Delivery.recipient_id == recipient.id, Delivery.status == "held")
            .values(not_before=held_until(recipient, now) or now)
        )
    return recipient


def channels_of(recipient: Recipient) -> list[tuple[str, str]]:
    """(channel, target) for each channel the recipient chose and has a contact for."""
    chosen = recipient.channels if recipient.channels is not None else CHANNELS
    return [
        (channel, getattr(recipient, CONTACT_OF[channel]))
        for channel in CHANNELS
        if channel in chosen and getattr(recipient, CONTACT_OF[channel])
    ]


# -- quiet hours -------------------------------------------------------------------------------


def quiet_until(quiet_from: time | None, quiet_until_: time | None, zone: str, now: datetime) -> datetime | None:
    """When the quiet hours around `now` end (UTC), or None if `now` is not in quiet hours.

    The hours are local to `zone`; a window whose start is after its end spans midnight.
    """
    if quiet_from is None or quiet_until_ is None or quiet_from == quiet_until_:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if quiet_from < quiet_until_:
        inside, end_day = quiet_from <= clock < quiet_until_, local.date()
    else:
        inside = clock >= quiet_from or clock < quiet_until_
        end_day = local.date() + timedelta(days=1) if clock >= quiet_from else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, quiet_until_, tzinfo=tz).astimezone(timezone.utc)


def held_until(recipient: Recipient | None, now: datetime) -> datetime | None:
    """The end of the recipient's quiet hours if they are on now, else None."""
    if recipient is None:
        return None
    return quiet_until(recipient.quiet_from, recipient.quiet_until, recipient.timezone, now)
