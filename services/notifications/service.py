"""Notifications' use cases: turn stock events into alerts, and deliver each alert on each channel."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime, timedelta

import requests
import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session

from backbone.db import Database, insert_ignoring_conflicts, upsert, utcnow
from backbone.events import Event
from services.notifications import messages
from services.notifications.models import Alert, Delivery, Label, Recipient

log = structlog.get_logger("notifications")

KIND_OF_EVENT = {"StockLow": "low_stock", "StockOut": "out_of_stock", "StockDiscrepancy": "discrepancy"}


class RecipientNotYetKnown(Exception):
    """The producer's registration has not reached us yet: retry the event later, do not drop it."""


# -- copies from the catalogue -----------------------------------------------------------------


def keep_recipient(*, session: Session, data: dict) -> None:
    """Store or refresh a producer's channels from ProducerRegistered."""
    contacts = data["contacts"]
    upsert(
        session,
        Recipient.__table__,
        {
            "producer_id": data["producer_id"],
            "name": data["name"],
            "language": data["language"],
            "email": contacts["email"],
            "phone": contacts["phone"],
            "webhook_url": contacts["webhook_url"],
        },
        key=("producer_id",),
    )


def keep_label(*, session: Session, object_id: uuid.UUID, kind: str, name: str) -> None:
    """Remember the display name of a product or a selling place."""
    upsert(session, Label.__table__, {"id": object_id, "kind": kind, "name": name}, key=("id",))


# -- alerts --------------------------------------------------------------------------------------


def raise_alert(*, session: Session, event: Event) -> list[uuid.UUID]:
    """Record the alert a stock event calls for, once per crossing, with a delivery per channel.

    Returns the ids of the deliveries created (none if this crossing was already alerted).
    """
    kind = KIND_OF_EVENT[event.type]
    data = event.data
    recipient = None
    if kind != "discrepancy":
        recipient = session.get(Recipient, data["producer_id"])
        if recipient is None:
            raise RecipientNotYetKnown(f"producer {data['producer_id']} is not known here yet")
    crossing = data.get("crossing", event.event_id)
    dedupe_key = f"{kind}:{data['selling_place_id']}:{data['product_id']}:{crossing}"
    alert_id = uuid.uuid4()
    created = insert_ignoring_conflicts(
        session,
        Alert.__table__,
        [
            {
                "id": alert_id,
                "kind": kind,
                "dedupe_key": dedupe_key,
                "producer_id": data["producer_id"],
                "selling_place_id": data["selling_place_id"],
                "product_id": data["product_id"],
                "on_hand": data["on_hand"],
                "threshold": data.get("threshold"),
                "suggested_quantity": data.get("suggested_quantity"),
                "source_event_id": event.event_id,
                "created_at": utcnow(),
            }
        ],
        returning=[Alert.id],
    )
    if not created or recipient is None:
        return []
    deliveries = [
        {"id": uuid.uuid4(), "alert_id": alert_id, "channel": channel, "target": target, "status": "pending", "attempts": 0}
        for channel, target in _channels(recipient)
    ]
    if deliveries:
        session.execute(sa.insert(Delivery), deliveries)
    return [delivery["id"] for delivery in deliveries]


def _channels(recipient: Recipient) -> list[tuple[str, str]]:
    # Only webhooks are delivered so far; e-mail, SMS and Telegram come with their senders.
    return [("webhook", recipient.webhook_url)] if recipient.webhook_url else []


def alerts_of(*, session: Session, producer_id: uuid.UUID | None, limit: int = 100) -> list[Alert]:
    """Alerts, newest first, optionally of one producer."""
    query = sa.select(Alert).order_by(Alert.created_at.desc()).limit(limit)
    if producer_id is not None:
        query = query.where(Alert.producer_id == producer_id)
    return list(session.scalars(query))


def acknowledge(*, session: Session, alert_id: uuid.UUID) -> Alert | None:
    """Mark an alert as seen (the first acknowledgement counts)."""
    alert = session.get(Alert, alert_id)
    if alert is not None and alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
    return alert


# -- delivery ----------------------------------------------------------------------------------


class DeliveryFailed(Exception):
    """The channel did not confirm; the task retries with backoff."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The webhook signature: HMAC-SHA256 of "<timestamp>.<body>", hex, prefixed "sha256="."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send_delivery(*, db: Database, delivery_id: uuid.UUID, secret: str, timeout: float, final_attempt: bool) -> str:
    """Send one delivery unless it is already sent; returns its status afterwards.

    The delivery row stays locked while its channel is called, so two copies of the same task can
    never both send it; once the channel confirmed and the row says `sent`, it is never sent again.
    Raises DeliveryFailed when the channel did not confirm and attempts remain.
    """
    with db.transaction() as session:
        delivery = session.scalar(sa.select(Delivery).where(Delivery.id == delivery_id).with_for_update(skip_locked=True))
        if delivery is None:
            return "busy-or-missing"
        if delivery.status != "pending":
            return delivery.status
        alert = session.get(Alert, delivery.alert_id)
        delivery.attempts += 1
        try:
            _send_webhook(session, delivery, alert, secret=secret, timeout=timeout)
        except requests.RequestException as error:
            delivery.last_error = str(error)[:500]
            if final_attempt:
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


def _send_webhook(session: Session, delivery: Delivery, alert: Alert, *, secret: str, timeout: float) -> None:
    recipient = session.get(Recipient, alert.producer_id) if alert.producer_id else None
    language = recipient.language if recipient else "it"
    labels = {
        label.id: label.name
        for label in session.scalars(sa.select(Label).where(Label.id.in_([alert.product_id, alert.selling_place_id])))
    }
    text = messages.render(
        alert.kind,
        language,
        product=labels.get(alert.product_id, str(alert.product_id)),
        place=labels.get(alert.selling_place_id, str(alert.selling_place_id)),
        on_hand=alert.on_hand,
        suggested=alert.suggested_quantity,
    )
    body = json.dumps(
        {
            "delivery_id": str(delivery.id),
            "alert": {
                "id": str(alert.id),
                "kind": alert.kind,
                "producer_id": str(alert.producer_id) if alert.producer_id else None,
                "selling_place_id": str(alert.selling_place_id),
                "product_id": str(alert.product_id),
                "on_hand": str(alert.on_hand),
                "threshold": str(alert.threshold) if alert.threshold is not None else None,
                "suggested_quantity": str(alert.suggested_quantity) if alert.suggested_quantity is not None else None,
                "created_at": alert.created_at.isoformat(),
            },
            "language": language,
            "message": text,
        }
    ).encode()
    timestamp = str(int(time.time()))
    response = requests.post(
        delivery.target,
        data=body,
        timeout=timeout,
        headers={
            "Content-Type": "application/json",
            "X-SP-Delivery": str(delivery.id),
            "X-SP-Timestamp": timestamp,
            "X-SP-Signature": sign(secret, timestamp, body),
        },
    )
    response.raise_for_status()


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
