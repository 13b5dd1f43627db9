"""The daily digest: per producer who chose it, what sold where yesterday and what is running low.

Beat asks often; the digest of a day is made once. The run row of the day is inserted first, in
the same transaction as the digests and their deliveries: a second beat (or a second ask) finds
the row, waits for the first transaction if it is still open, and makes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import insert_ignoring_conflicts, utcnow
from backbone.events import Event
from services.notifications import messages, service
from services.notifications.models import Alert, Digest, DigestRun, Recipient, SaleLine


def keep_sales(*, session: Session, events: list[Event]) -> None:
    """Store the lines of recorded sales (once each, however often a sale is delivered)."""
    rows = [
        {
            "receipt_id": event.data["receipt_id"],
            "line_no": line["line_no"],
            "producer_id": line["producer_id"],
            "selling_place_id": event.data["selling_place_id"],
            "product_id": line["product_id"],
            "business_date": event.data["business_date"],
            "quantity": line["quantity"],
            "gross": line["gross"],
        }
        for event in events
        for line in event.data["lines"]
        if line["producer_id"] is not None  # a line nobody owns yet cannot go in anyone's digest
    ]
    insert_ignoring_conflicts(session, SaleLine.__table__, rows)


def period_due(now: datetime, zone: str, hour: int) -> date | None:
    """The day whose digest may go out at `now`: yesterday, once it is `hour` o'clock locally."""
    local = now.astimezone(ZoneInfo(zone))
    return local.date() - timedelta(days=1) if local.hour >= hour else None


def make_digests(*, session: Session, period: date) -> list[uuid.UUID] | None:
    """Make every producer's digest of `period`, once; returns the deliveries to send, None if already made."""
    now = utcnow()
    claimed = insert_ignoring_conflicts(
        session, DigestRun.__table__, [{"period": period, "created_at": now, "digests": 0}], returning=[DigestRun.period]
    )
    if not claimed:
        return None
    to_send: list[uuid.UUID] = []
    made = 0
    readers = session.scalars(
        sa.select(Recipient).where(Recipient.kind == "producer", Recipient.delivery_mode == "digest").order_by(Recipient.id)
    )
    for recipient in readers:
        content = digest_content(session=session, producer_id=recipient.id, period=period)
        if not content["sales"] and not content["running_low"]:
            continue  # nothing to say: no message
        digest = Digest(id=uuid.uuid4(), recipient_id=recipient.id, period=period, content=content, created_at=now)
        session.add(digest)
        session.flush()
        subject, text = messages.render(
            session=session, kind="digest", language=recipient.language, values=_values(recipient, content, period)
        )
        to_send += service.create_deliveries(
            session=session, recipient=recipient, subject=subject, text=text, digest_id=digest.id
        )
        made += 1
    session.execute(sa.update(DigestRun).where(DigestRun.period == period).values(digests=made))
    return to_send


def digest_content(*, session: Session, producer_id: uuid.UUID, period: date) -> dict:
    """What a producer's digest of `period` says, as plain data (also the webhook's payload)."""
    sold = session.execute(
        sa.select(
            SaleLine.selling_place_id,
            SaleLine.product_id,
            sa.func.sum(SaleLine.quantity).label("quantity"),
            sa.func.sum(SaleLine.gross).label("gross"),
        )
        .where(SaleLine.producer_id == producer_id, SaleLine.business_date == period)
        .group_by(SaleLine.selling_place_id, SaleLine.product_id)
    ).all()
    low = _running_low(session, producer_id)
    names = service.labels(
        session, list({row.selling_place_id for row in sold} | {row.product_id for row in sold} | _ids_of(low))
    )
    sales = sorted(
        (
            {
                "selling_place_id": str(row.selling_place_id),
                "place": names[row.selling_place_id],
                "product_id": str(row.product_id),
                "product": names[row.product_id],
                "quantity": str(Decimal(row.quantity)),
                "gross": str(Decimal(row.gross)),
            }
            for row in sold
        ),
        key=lambda sale: (sale["place"], sale["product"]),
    )
    running_low = [
        {
            "alert_id": str(alert.id),
            "kind": alert.kind,
            "selling_place_id": str(alert.selling_place_id),
            "place": names[alert.selling_place_id],
            "product_id": str(alert.product_id),
            "product": names[alert.product_id],
            "on_hand": str(alert.on_hand),
            "suggested_quantity": str(alert.suggested_quantity) if alert.suggested_quantity is not None else None,
            "days_of_cover": str(alert.days_of_cover) if alert.days_of_cover is not None else None,
        }
        for alert in low
    ]
    total = sum((Decimal(sale["gross"]) for sale in sales), Decimal("0.00"))
    return {"period": period.isoformat(), "sales": sales, "total": str(total), "running_low": running_low}


def _running_low(session: Session, producer_id: uuid.UUID) -> list[Alert]:
    # open = neither acknowledged nor resolved by a restock; the newest alert of each shelf tells its state
    alerts = session.scalars(
        sa.select(Alert)
        .where(
            Alert.recipient_id == producer_id,
            Alert.kind.in_(("low_stock", "out_of_stock")),
            Alert.acknowledged_at.is_(None),
            Alert.resolved_at.is_(None),
        )
        .order_by(Alert.occurred_at.desc())
    )
    newest: dict[tuple, Alert] = {}
    for alert in alerts:
        newest.setdefault((alert.selling_place_id, alert.product_id), alert)
    return list(newest.values())


def _ids_of(alerts: list[Alert]) -> set[uuid.UUID]:
    return {alert.selling_place_id for alert in alerts} | {alert.product_id for alert in alerts}


def _values(recipient: Recipient, content: dict, period: date) -> dict:
    language = recipient.language
    return {
        "name": recipient.name,
        "date": messages.day(period, language),
        "sales": [
            {
                **sale,
                "quantity": messages.number(Decimal(sale["quantity"]), language),
                "gross": messages.money(Decimal(sale["gross"]), language),
            }
            for sale in content["sales"]
        ],
        "total": messages.money(Decimal(content["total"]), language),
        "running_low": [
            {
                **item,
                "on_hand": messages.number(Decimal(item["on_hand"]), language),
                "suggested": messages.number(_decimal(item["suggested_quantity"]), language),
                "days_of_cover": messages.number(_decimal(item["days_of_cover"]), language),
            }
            for item in content["running_low"]
        ],
    }


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None
