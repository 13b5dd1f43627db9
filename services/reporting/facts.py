"""Facts from events: stored once (keyed by business ids, not event ids), marking their aggregates dirty.

A sale or refund arriving again, even inside another event, adds nothing: the primary keys are the
receipt's or refund's own line keys. Storing a fact marks the aggregate keys it feeds as dirty in
the same transaction; the aggregates are recomputed from all their facts later (see aggregates.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import insert_ignoring_conflicts, insert_or_lock, upsert, utcnow
from backbone.events import Event
from services.reporting.models import (
    UNATTRIBUTED_PRODUCER,
    UNATTRIBUTED_SECTOR,
    DirtyKey,
    Producer,
    Product,
    RefundLineFact,
    SaleLineFact,
    SellingPlace,
    StockFact,
    Village,
)

CENT = Decimal("0.01")
#: the network's time zone: stock events are placed on the business day of Rome
LOCAL = ZoneInfo("Europe/Rome")


def week_start(day: date) -> date:
    """The Monday of the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    """The first day of the month of `day`."""
    return day.replace(day=1)


def periods(day: date) -> dict:
    """The calendar buckets a fact of `day` is grouped by."""
    return {"business_date": day, "week_start": week_start(day), "month_start": month_start(day)}


def commission(gross: Decimal, rate: Decimal | None) -> Decimal:
    """The selling place's commission on an amount, rounded half-up to the cent (0 while the rate is unknown)."""
    if rate is None:
        return Decimal("0.00")
    return (gross * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _rates(session: Session, places: set) -> dict:
    if not places:
        return {}
    rows = session.execute(
        sa.select(SellingPlace.selling_place_id, SellingPlace.commission_rate).where(SellingPlace.selling_place_id.in_(places))
    )
    return dict(rows.all())


def mark_dirty(session: Session, keys: set[tuple[str, str, date]]) -> int:
    """Mark aggregate keys (dimension, key, day) for recomputation; returns how many were given."""
    now = utcnow()
    rows = [{"dimension": d, "key": k, "business_date": day, "since": now} for d, k, day in sorted(keys)]
    # Not DO NOTHING: a recomputation holding this key must finish before we mark it again, else it
    # could clear the mark without seeing our (not yet committed) facts.
    insert_or_lock(session, DirtyKey.__table__, rows, key=("dimension", "key", "business_date"))
    return len(rows)


# -- sales and refunds ----------------------------------------------------------------------------


def store_sales(*, session: Session, events: list[Event]) -> int:
    """Store the lines of SaleRecorded events as facts and mark their aggregates dirty; returns the keys."""
    rates = _rates(session, {event.data["selling_place_id"] for event in events})
    facts = [fact for event in events for fact in _sale_facts(event, rates)]
    insert_ignoring_conflicts(session, SaleLineFact.__table__, facts)
    keys = set()
    for f in facts:
        keys.add(("producer", str(f["producer_id"]), f["business_date"]))
        keys.add(("sector", f["sector"], f["business_date"]))
        keys.add(("place", str(f["selling_place_id"]), f["business_date"]))
    return mark_dirty(session, keys)


def _sale_facts(event: Event, rates: dict) -> list[dict]:
    sale = event.data
    rate = rates.get(sale["selling_place_id"])
    return [
        {
            "receipt_id": sale["receipt_id"],
            "line_no": line["line_no"],
            "event_id": event.event_id,
            "selling_place_id": sale["selling_place_id"],
            "village_id": sale["village_id"],
            "producer_id": line["producer_id"] or UNATTRIBUTED_PRODUCER,
            "product_id": line["product_id"],
            "sector": line["sector"] or UNATTRIBUTED_SECTOR,
            "mountain_product": line["mountain_product"],
            **periods(sale["business_date"]),
            "sold_at": sale["sold_at"],
            "quantity": line["quantity"],
            "gross": line["gross"],
            "vat_rate": line["vat_rate"],
            "vat": line["vat"],
            "commission_rate": rate,
            "commission": commission(line["gross"], rate),
            "recorded_at": event.recorded_at,
        }
        for line in sale["lines"]
    ]


def store_refunds(*, session: Session, events: list[Event]) -> int:
    """Store the lines of SaleRefunded events as facts on the refund's business day; returns the dirty keys."""
    rates = _rates(session, {event.data["selling_place_id"] for event in events})
    facts = []
    for event in events:
        refund = event.data
        rate = rates.get(refund["selling_place_id"])
        for line in refund["lines"]:
            facts.append(
                {
                    "refund_id": refund["refund_id"],
                    "line_no": line["line_no"],
                    "receipt_id": refund["receipt_id"],
                    "event_id": event.event_id,
                    "kind": refund["kind"],
                    "selling_place_id": refund["selling_place_id"],
                    "village_id": refund["village_id"],
                    "producer_id": line["producer_id"] or UNATTRIBUTED_PRODUCER,
                    "product_id": line["product_id"],
                    "sector": line["sector"] or UNATTRIBUTED_SECTOR,
                    "mountain_product": line["mountain_product"],
                    **periods(refund["business_date"]),
                    "sale_business_date": refund["sale_business_date"],
                    "refunded_at": refund["refunded_at"],
                    "quantity": line["quantity"],
                    "gross": line["gross"],
                    "vat_rate": line["vat_rate"],
                    "vat": line["vat"],
                    "commission_rate": rate,
                    "commission": commission(line["gross"], rate),
                    "returned_to_shelf": line["returned_to_shelf"],
                    "recorded_at": event.recorded_at,
                }
            )
    insert_ignoring_conflicts(session, RefundLineFact.__table__, facts)
    return mark_dirty(session, {("place", str(f["selling_place_id"]), f["business_date"]) for f in facts})


# -- stock ----------------------------------------------------------------------------------------


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


def _stock_row(event: Event, kind: str, reference, place, quantity: Decimal, on_hand: Decimal) -> dict:
    data = event.data
    return {
        "kind": kind,
        "reference": str(reference),
        "selling_place_id": place,
        "product_id": data["product_id"],
        "producer_id": data["producer_id"],
        "event_id": event.event_id,
        "occurred_at": event.occurred_at,
        **periods(_local_day(event.occurred_at)),
        "quantity": quantity,
        "on_hand": on_hand,
        "recorded_at": event.recorded_at,
    }


def _stock_facts(event: Event) -> list[dict]:
    data = event.data
    zero = Decimal("0")
    if event.type == "StockRestocked":
        return [_stock_row(event, "restock", data["delivery_id"], data["selling_place_id"], data["quantity"], data["on_hand"])]
    if event.type == "StockAdjusted":
        return [
            _stock_row(event, "adjustment", data["adjustment_id"], data["selling_place_id"], data["quantity"], data["on_hand"])
        ]
    if event.type == "StockTransferred":
        return [
            _stock_row(
                event, "transfer_out", data["transfer_id"], data["from_selling_place_id"], -data["quantity"], data["on_hand_from"]
            ),
            _stock_row(
                event, "transfer_in", data["transfer_id"], data["to_selling_place_id"], data["quantity"], data["on_hand_to"]
            ),
        ]
    if event.type in ("StockOut", "StockLow"):
        kind = "out" if event.type == "StockOut" else "low"
        return [_stock_row(event, kind, data["crossing"], data["selling_place_id"], zero, data["on_hand"])]
    if event.type == "StockDiscrepancy":
        return [_stock_row(event, "discrepancy", event.event_id, data["selling_place_id"], zero, data["on_hand"])]
    return []


def store_stock(*, session: Session, events: list[Event]) -> int:
    """Store stock movements and stock-outs as facts; returns how many rows were offered."""
    facts = [fact for event in events for fact in _stock_facts(event)]
    insert_ignoring_conflicts(session, StockFact.__table__, facts)
    return len(facts)


# -- the catalogue --------------------------------------------------------------------------------


def store_village(*, session: Session, event: Event) -> None:
    """Keep a copy of a village (its population makes revenue per inhabitant)."""
    data = event.data
    upsert(
        session,
        Village.__table__,
        {
            "village_id": data["village_id"],
            "name": data["name"],
            "istat_code": data["istat_code"],
            "population": data["population"],
        },
        key=("village_id",),
    )


def store_selling_place(*, session: Session, event: Event) -> None:
    """Keep a copy of a selling place, and price the commission of facts that arrived before it."""
    data = event.data
    place, rate = data["selling_place_id"], data["commission_rate"]
    upsert(
        session,
        SellingPlace.__table__,
        {"selling_place_id": place, "village_id": data["village_id"], "name": data["name"], "commission_rate": rate},
        key=("selling_place_id",),
    )
    days: set[date] = set()
    for table, key in ((SaleLineFact, "receipt_id"), (RefundLineFact, "refund_id")):
        pending = session.execute(
            sa.select(getattr(table, key), table.line_no, table.gross, table.business_date).where(
                table.selling_place_id == place, table.commission_rate.is_(None)
            )
        ).all()
        if not pending:
            continue
        # Sales and the catalogue travel on different streams: a shop's first sales can come first.
        columns = table.__table__.c
        session.execute(
            sa.update(table.__table__)
            .where(columns[key] == sa.bindparam("b_doc"), columns.line_no == sa.bindparam("b_line"))
            .values(commission_rate=rate, commission=sa.bindparam("b_commission")),
            [{"b_doc": doc, "b_line": line, "b_commission": commission(gross, rate)} for doc, line, gross, _ in pending],
        )
        days |= {day for *_, day in pending}
    mark_dirty(session, {("place", str(place), day) for day in days})


def store_producer(*, session: Session, event: Event) -> None:
    """Keep the newest state of a producer (by revision): name and IBAN for statements and payouts."""
    data = event.data
    current = session.get(Producer, data["producer_id"])
    if current is not None and current.revision >= data["revision"]:
        return  # an older state arriving late
    upsert(
        session,
        Producer.__table__,
        {
            "producer_id": data["producer_id"],
            "revision": data["revision"],
            "name": data["name"],
            "sector": data["sector"],
            "language": data["language"],
            "email": data["contacts"].get("email"),
            "vat_number": data["vat_number"],
            "tax_regime": data["tax_regime"],
            "iban": data["iban"],
        },
        key=("producer_id",),
    )


def store_product(*, session: Session, event: Event) -> None:
    """Keep a copy of a product: its sector and mountain flag place restocks in the reports."""
    data = event.data
    upsert(
        session,
        Product.__table__,
        {
            "product_id": data["product_id"],
            "producer_id": data["producer_id"],
            "name": data["name"],
            "sector": data["sector"],
            "mountain_product": data["mountain_product"],
            "vat_rate": data["vat_rate"],
        },
        key=("product_id",),
    )
