"""Events for tests, valid by the contract unless told otherwise."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

from backbone.events import Event, new_event


def sale_recorded(*, quantity: str = "1", gross: str = "8.50", producer_id=None, selling_place_id=None, lines: int = 1) -> Event:
    """A SaleRecorded of `lines` identical lines, sold now."""
    sold_at = datetime.now(timezone.utc)
    place = selling_place_id or uuid.uuid4()
    line = {
        "product_id": uuid.uuid4(),
        "producer_id": producer_id or uuid.uuid4(),
        "sector": "agri-food",
        "mountain_product": True,
        "quantity": Decimal(quantity),
        "unit_price": Decimal(gross),
        "discount": Decimal("0.00"),
        "gross": Decimal(gross),
        "vat_rate": Decimal("10"),
        "vat": Decimal("0.77"),
        "flagged": False,
    }
    return new_event(
        "SaleRecorded",
        {
            "receipt_id": uuid.uuid4(),
            "selling_place_id": place,
            "village_id": uuid.uuid4(),
            "till_id": "till-1",
            "sold_at": sold_at,
            "business_date": sold_at.date(),
            "payment_method": "cash",
            "total": Decimal(gross) * lines,
            "vat_total": Decimal("0.77") * lines,
            "lines": [{**line, "line_no": n + 1} for n in range(lines)],
        },
        source="sales",
        occurred_at=sold_at,
        selling_place_id=place,
    )


def deliver(app, redis_client, *events: Event) -> None:
    """Put events on their streams as the relay would, then let the app's consumer apply all it reads."""
    from backbone import streams
    from backbone.cli import build_consumer
    from backbone.events import encode

    for event in events:
        key = streams.stream_key(app.config["STREAM_PREFIX"], event.stream)
        redis_client.xadd(key, {"type": event.type, "event": encode(event)})
    consumer = build_consumer(app)
    consumer.setup()
    while consumer.poll():
        pass
