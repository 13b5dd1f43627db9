"""Notifications' use cases: turn stock events into alerts, and deliver each alert on each channel."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session

from backbone.db import Database, insert_ignoring_conflicts, utcnow
from backbone.events import Event
from services.notifications import channels, messages, recipients
from services.notifications.models import Alert, Delivery, Digest, Label, Recipient

log = structlog.get_logger("notifications")

KIND_OF_EVENT = {"StockLow": "low_stock", "StockOut": "out_of_stock", "StockDiscrepancy": "discrepancy"}


class RecipientNotYetKnown(Exception):
    """The recipient's registration has not reached us yet: retry the event later, do not drop it."""


class NotResendable(Exception):
    """Only a failed delivery is sent again by hand."""


# -- alerts --------------------------------------------------------------------------------------


def raise_alert(*, session: Session, event: Event) -> list[uuid.UUID]:
    """Record the alert a stock event calls for, once per crossing, with a delivery per channel.

    The producer is told of low and out-of-stock, the selling place of a discrepancy (a stocktake
    is due). Returns the ids of the deliveries to send now (none if this crossing was already
    alerted, if the recipient takes a digest, or if quiet hours hold them).
    """
    kind = KIND_OF_EVENT[event.type]
    data = event.data
    recipient_id = data["selling_place_id"] if kind == "discrepancy" else data["producer_id"]
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        raise RecipientNotYetKnown(f"{kind} recipient {recipient_id} is not known here yet")
    crossing = data.get("crossing", event.event_id)
    in_digest = recipient.delivery_mode == "digest" and kind != "discrepancy"
    alert_id = uuid.uuid4()
    created = insert_ignoring_conflicts(
        session,
        Alert.__table__,
        [
            {
                "id": alert_id,
                "kind": kind,
                "dedupe_key": f"{kind}:{data['selling_place_id']}:{data['product_id']}:{crossing}",
                "producer_id": data["producer_id"],
                "recipient_id": recipient_id,
                "selling_place_id": data["selling_place_id"],
                "product_id": data["product_id"],
                "on_hand": data["on_hand"],
                "threshold": data.get("threshold"),
                "suggested_quantity": data.get("suggested_quantity"),
                "days_of_cover": data.get("days_of_cover"),
                "reason": data.get("reason"),
                "in_digest": in_digest,
                "source_event_id": event.event_id,
                "occurred_at": event.occurred_at,
                "created_at": utcnow(),
            }
        ],
        returning=[Alert.id],
    )
    if not created or in_digest:
        return []
    alert = session.get(Alert, alert_id)
    subject, text = messages.render(
        session=session, kind=kind, language=recipient.language, values=alert_values(session, alert, recipient.language)
    )
    return create_deliveries(session=session, recipient=recipient, subject=subject, text=text, alert_id=alert_id)


def labels(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names of products and selling places (the id itself where none is known)."""
    known = {label.id: label.name for label in session.scalars(sa.select(Label).where(Label.id.in_(ids)))}
    return {object_id: known.get(object_id, str(object_id)) for object_id in ids}


def alert_values(session: Session, alert: Alert, language: str) -> dict:
    """What a template of an alert may say, written in `language`."""
    names = labels(session, [alert.product_id, alert.selling_place_id])
    producer = session.get(Recipient, alert.producer_id) if alert.producer_id else None
    return {
        "product": names[alert.product_id],
        "place": names[alert.selling_place_id],
        "producer": producer.name if producer else "",
        "on_hand": messages.number(alert.on_hand, language),
        "threshold": messages.number(alert.threshold, language),
        "suggested": messages.number(alert.suggested_quantity, language),
        "days_of_cover": messages.number(alert.days_of_cover, language),
        "reason": alert.reason,
    }


def create_deliveries(
    *,
    session: Session,
    recipient: Recipient,
    subject: str,
    text: str,
    alert_id: uuid.UUID | None = None,
    digest_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """One delivery per channel of the recipient, persisted before any send; returns those to send now."""
    now = utcnow()
    hold = recipients.held_until(recipient, now)
    rows = [
        {
            "id": uuid.uuid4(),
            "alert_id": alert_id,
            "digest_id": digest_id,
            "recipient_id": recipient.id,
            "channel": channel,
            "target": target,
            "language": recipient.language,
            "subject": subject[:200],
            "text": text,
            "status": "held" if hold else "pending",
            "not_before": hold,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for channel, target in recipients.channels_of(recipient)
    ]
    if rows:
        session.execute(sa.insert(Delivery), rows)
    else:
        log.warning("nobody to send to: no channel with a contact", recipient_id=str(recipient.id))
    return [row["id"] for row in rows if row["status"] == "pending"]


def resolve_alerts(
    *, session: Session, selling_place_id: uuid.UUID, product_id: uuid.UUID, on_hand, occurred_at: datetime
) -> int:
    """Close the open low / out-of-stock alerts of a shelf whose stock came back above their level."""
    above = [sa.and_(Alert.kind == "low_stock", Alert.threshold < on_hand)]
    if on_hand > 0:
        above.append(Alert.kind == "out_of_stock")
    result = session.execute(
        sa.update(Alert)
        .where(
            Alert.selling_place_id == selling_place_id,
            Alert.product_id == product_id,
            Alert.resolved_at.is_(None),
            # an alert raised after this stock level was seen is newer news: it stays open
            Alert.occurred_at <= occurred_at,
            sa.or_(*above),
        )
        .values(resolved_at=utcnow())
    )
    return result.rowcount


def alerts_of(
    *,
    session: Session,
    producer_id: uuid.UUID | None,
    selling_place_id: uuid.UUID | None = None,
    limit: int = 100,
    visible=sa.true(),
) -> list[Alert]:
    """Alerts the caller may see (`visible`), newest first, optionally of one producer and / or selling place."""
    query = sa.select(Alert).where(visible).order_by(Alert.created_at.desc()).limit(limit)
    if producer_id is not None:
        query = query.where(Alert.producer_id == producer_id)
    if selling_place_id is not None:
        query = query.where(Alert.selling_place_id == selling_place_id)
    return list(session.scalars(query))


def acknowledge(*, session: Session, alert_id: uuid.UUID, visible=sa.true()) -> Alert | None:
    """Mark an alert the caller may see as seen (the first acknowledgement counts)."""
    alert = session.scalar(sa.select(Alert).where(Alert.id == alert_id, visible))
    if alert is not None and alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
    return alert


# -- delivery ----------------------------------------------------------------------------------


class DeliveryFailed(Exception):
    """The channel did not confirm; the task retries with backoff."""


def send_delivery(*, db: Database, delivery_id: uuid.UUID, settings: Mapping, final_attempt: bool) -> str:
    """Send one delivery unless it is already sent or held; returns its status afterwards.

    The delivery row stays locked while its channel is called, so two copies of the same task can
    never both send it; once the channel confirmed and the row says `sent`, it is never sent again.
    Quiet hours are checked here, at the moment of sending: a delivery that falls in them is held
    until they end. Raises DeliveryFailed when the channel did not confirm and attempts remain.
    """
    with db.transaction() as session:
        delivery = session.scalar(sa.select(Delivery).where(Delivery.id == delivery_id).with_for_update(skip_locked=True))
        if delivery is None:
            return "busy-or-missing"
        if delivery.status != "pending":
            return delivery.status
        recipient = session.get(Recipient, delivery.recipient_id) if delivery.recipient_id else None
        hold = recipients.held_until(recipient, utcnow())
        if hold is not None:
            delivery.status, delivery.not_before = "held", hold
            return "held"
        delivery.attempts += 1
        try:
            channels.send(_outgoing(session, delivery), settings)
        except channels.ChannelError as error:
            delivery.last_error = str(error)[:500]
            if final_attempt or isinstance(error, channels.ChannelUnavailable):
                delivery.status = "failed"
                log.error("delivery failed for good", delivery_id=str(delivery.id), attempts=delivery.attempts)
                return "failed"
            error_to_raise = DeliveryFailed(delivery.last_error)
        else:
            delivery.status = "sent"
            delivery.sent_at = utcnow()
            delivery.last_error = None
            return "sent"
    raise error_to_raise


def _outgoing(session: Session, delivery: Delivery) -> channels.Outgoing:
    if delivery.alert_id is not None:
        alert = session.get(Alert, delivery.alert_id)
        subject_of_message = {"alert": _alert_document(alert)}
        if not delivery.text:  # made before deliveries kept their text: write it now
            values = alert_values(session, alert, delivery.language)
            delivery.subject, delivery.text = messages.render(
                session=session, kind=alert.kind, language=delivery.language, values=values
            )
    else:
        digest = session.get(Digest, delivery.digest_id)
        subject_of_message = {
            "digest": {"id": str(digest.id), "recipient_id": str(digest.recipient_id), **digest.content},
        }
    return channels.Outgoing(
        delivery_id=str(delivery.id),
        channel=delivery.channel,
        target=delivery.target,
        subject=delivery.subject,
        text=delivery.text,
        payload={**subject_of_message, "language": delivery.language, "subject": delivery.subject, "message": delivery.text},
    )


def _alert_document(alert: Alert) -> dict:
    def text(value):
        return str(value) if value is not None else None

    return {
        "id": str(alert.id),
        "kind": alert.kind,
        "producer_id": text(alert.producer_id),
        "selling_place_id": str(alert.selling_place_id),
        "product_id": str(alert.product_id),
        "on_hand": str(alert.on_hand),
        "threshold": text(alert.threshold),
        "suggested_quantity": text(alert.suggested_quantity),
        "days_of_cover": text(alert.days_of_cover),
        "reason": alert.reason,
        "created_at": alert.created_at.isoformat(),
    }


def resend(*, session: Session, delivery_id: uuid.UUID) -> Delivery | None:
    """An operator sends a failed delivery again: it becomes pending, with a fresh round of retries."""
    delivery = session.scalar(sa.select(Delivery).where(Delivery.id == delivery_id).with_for_update())
    if delivery is None:
        return None
    if delivery.status != "failed":
        raise NotResendable(f"the delivery is {delivery.status}; only a failed one is sent again")
    delivery.status = "pending"
    delivery.updated_at = utcnow()
    return delivery


def deliveries(
    *, session: Session, status: str | None, recipient_id: uuid.UUID | None, limit: int, visible=sa.true()
) -> list[Delivery]:
    """Deliveries the caller may see (`visible`), newest first, optionally in one status or to one recipient."""
    query = sa.select(Delivery).where(visible).order_by(Delivery.created_at.desc()).limit(limit)
    if status is not None:
        query = query.where(Delivery.status == status)
    if recipient_id is not None:
        query = query.where(Delivery.recipient_id == recipient_id)
    return list(session.scalars(query))


def release_held(*, session: Session, now: datetime, limit: int = 500) -> list[uuid.UUID]:
    """Held deliveries whose quiet hours are over become pending; returns them, to be sent."""
    due = list(
        session.scalars(
            sa.select(Delivery.id)
            .where(Delivery.status == "held", Delivery.not_before <= now)
            .order_by(Delivery.not_before)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if due:
        session.execute(sa.update(Delivery).where(Delivery.id.in_(due)).values(status="pending", updated_at=now))
    return due


def stale_pending(*, session: Session, older_than: timedelta, limit: int = 500) -> list[uuid.UUID]:
    """Pending deliveries nobody has touched for a while (their task was lost): to be sent again."""
    cutoff: datetime = utcnow() - older_than
    return list(
        session.scalars(
            sa.select(Delivery.id)
            .where(Delivery.status == "pending", Delivery.updated_at < cutoff)
            .order_by(Delivery.updated_at)
            .limit(limit)
        )
    )
