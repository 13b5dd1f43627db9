"""Sales' receipts: each recorded exactly once, alone or in offline batches, with its SaleRecorded event.

A batch is worked set-wise: one look-up of the receipts already recorded, one of the catalogue,
one INSERT per table and one publish for the whole batch. Recording a single receipt is a batch
of one, so both paths keep the same rules.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone import tracing
from backbone.db import insert_ignoring_conflicts, utcnow
from backbone.events import Event, event_type
from backbone.outbox import publish
from services.sales import days
from services.sales.catalogue import Catalogue
from services.sales.errors import Conflict, Refused
from services.sales.fingerprints import content_hash
from services.sales.models import Receipt, ReceiptLine
from services.sales.pricing import Unpriceable, price_receipt

SOURCE = "sales"
SALE_RECORDED = event_type("SaleRecorded")
CREATED, DUPLICATE, REJECTED = "created", "duplicate", "rejected"
#: what a batch result tells about a recorded receipt
SUMMARY = ("business_date", "total", "vat_total", "flagged", "after_close")


class ReceiptConflict(Conflict):
    """The receipt id was already used for a different sale."""

    def __init__(self):
        super().__init__(("receipt_id",), "Already used for a different sale.")


@dataclass
class Outcome:
    """What became of one receipt of a batch."""

    receipt_id: uuid.UUID
    status: str
    summary: dict = field(default_factory=dict)
    errors: dict | None = None
    #: kept for the single-receipt path, which answers with the error itself
    error: Refused | None = None
    #: a receipt created now: its row and lines as inserted (the single-receipt path answers with them)
    recorded: tuple[dict, list[dict]] | None = None


def record_receipt(*, session: Session, receipt: dict) -> tuple[Receipt, bool]:
    """Record a sale and its SaleRecorded event, once: the same receipt again returns the original.

    Returns the receipt and whether it was new. Raises ReceiptConflict if the receipt id was used
    for different content, Unpriceable if a line has neither a catalogue nor a till price.
    """
    (outcome,) = record_receipts(session=session, receipts=[receipt])
    if outcome.error is not None:
        raise outcome.error
    if outcome.recorded is not None:  # just written: answer from what was written, without reading it back
        row, lines = outcome.recorded
        receipt_row = Receipt(**{**row, "sold_at": row["sold_at"].astimezone(timezone.utc)})
        receipt_row.lines = [ReceiptLine(receipt_id=row["id"], **line) for line in lines]
        return receipt_row, True
    return session.get(Receipt, outcome.receipt_id, populate_existing=True), False


def record_receipts(*, session: Session, receipts: list[dict]) -> list[Outcome]:
    """Record many validated receipts at once, each exactly once; one outcome per receipt, in order."""
    fingerprints = [content_hash(receipt) for receipt in receipts]
    outcomes: list[Outcome | None] = [None] * len(receipts)
    first: dict[uuid.UUID, int] = {}  # receipt id -> where it first appears in this batch
    for index, receipt in enumerate(receipts):
        first.setdefault(receipt["receipt_id"], index)

    # the version of each receipt that stands: recorded before, by a concurrent request, or now
    standing = _recorded(session, list(first))
    fresh: list[int] = []
    for receipt_id, index in first.items():
        if receipt_id in standing:
            outcomes[index] = _against(standing[receipt_id], receipt_id, fingerprints[index])
        else:
            fresh.append(index)

    rows, lines = _priced(session, receipts, fresh, fingerprints, outcomes)
    if rows:
        inserted = _insert_receipts(session, list(rows.values()))
        late = [receipt_id for receipt_id in rows if receipt_id not in inserted]
        # another request recorded these between our look-up and our insert: theirs stands
        standing.update(_recorded(session, late))
        for receipt_id in late:
            outcomes[first[receipt_id]] = _against(standing[receipt_id], receipt_id, rows[receipt_id]["content_hash"])
        created = [receipt_id for receipt_id in rows if receipt_id in inserted]
        if created:
            session.execute(
                ReceiptLine.__table__.insert(),
                [{"receipt_id": receipt_id, **line} for receipt_id in created for line in lines[receipt_id]],
            )
            publish(session, *(_sale_recorded(rows[receipt_id], lines[receipt_id]) for receipt_id in created))
        for receipt_id in created:
            standing[receipt_id] = rows[receipt_id]
            outcomes[first[receipt_id]] = Outcome(
                receipt_id, CREATED, _summary(rows[receipt_id]), recorded=(rows[receipt_id], lines[receipt_id])
            )

    for index, receipt in enumerate(receipts):  # the same receipt id again within the batch
        if outcomes[index] is None:
            receipt_id, origin = receipt["receipt_id"], first[receipt["receipt_id"]]
            if receipt_id in standing:
                outcomes[index] = _against(standing[receipt_id], receipt_id, fingerprints[index])
            elif fingerprints[index] == fingerprints[origin]:  # refused the first time: refused again
                outcomes[index] = _rejected(receipt_id, outcomes[origin].error)
            else:
                outcomes[index] = _rejected(receipt_id, ReceiptConflict())
    return outcomes  # type: ignore[return-value]


def _insert_receipts(session: Session, rows: list[dict]) -> set[uuid.UUID]:
    """Insert receipt rows; returns the ids inserted (a concurrent request may have recorded some first)."""
    rows = sorted(rows, key=lambda row: row["id"])  # one order for every request: two batches never deadlock
    # On PostgreSQL a plain insert of a batch in a savepoint is the common case, and much cheaper than
    # one that reports what it inserted; only a clash with a concurrent request pays for the second.
    # A single receipt is cheaper the other way: one round trip instead of three (savepoint, insert,
    # release). (SQLite's driver starts no transaction before the first write, so a savepoint there
    # would commit early.)
    if session.get_bind().dialect.name == "postgresql" and len(rows) > 1:
        try:
            with session.begin_nested():
                session.execute(Receipt.__table__.insert(), rows)
            return {row["id"] for row in rows}
        except sa.exc.IntegrityError:
            pass
    inserted = insert_ignoring_conflicts(session, Receipt.__table__, rows, returning=[Receipt.id])
    return {row.id for row in inserted}


def _recorded(session: Session, receipt_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict]:
    """The receipts among these already recorded: their fingerprint and summary."""
    if not receipt_ids:
        return {}
    columns = [Receipt.id, Receipt.content_hash, *(getattr(Receipt, name) for name in SUMMARY)]
    rows = session.execute(sa.select(*columns).where(Receipt.id.in_(receipt_ids)))
    return {row.id: row._asdict() for row in rows}


def _against(recorded: dict, receipt_id: uuid.UUID, fingerprint: str) -> Outcome:
    """A receipt whose id is already recorded: the same sale again, or a conflict."""
    if recorded["content_hash"] != fingerprint:
        return _rejected(receipt_id, ReceiptConflict())
    return Outcome(receipt_id, DUPLICATE, _summary(recorded))


def _rejected(receipt_id: uuid.UUID, error: Refused) -> Outcome:
    return Outcome(receipt_id, REJECTED, errors=error.errors(), error=error)


def _summary(row: dict) -> dict:
    return {name: row[name] for name in SUMMARY}


def _priced(
    session: Session, receipts: list[dict], indexes: list[int], fingerprints: list[str], outcomes: list
) -> tuple[dict[uuid.UUID, dict], dict[uuid.UUID, list[dict]]]:
    """Price the new receipts from one catalogue look-up; mark each one's day open or closed."""
    if not indexes:
        return {}, {}
    catalogue = Catalogue.load(
        session,
        product_ids={line["product_id"] for index in indexes for line in receipts[index]["lines"]},
        selling_place_ids={receipts[index]["selling_place_id"] for index in indexes},
    )
    rows: dict[uuid.UUID, dict] = {}
    lines: dict[uuid.UUID, list[dict]] = {}
    for index in indexes:
        receipt = receipts[index]
        try:
            row, priced = price_receipt(receipt, catalogue)
        except Unpriceable as error:
            outcomes[index] = _rejected(receipt["receipt_id"], error)
            continue
        rows[row["id"]] = row
        lines[row["id"]] = priced
    if rows:
        closed = days.record_into(session, {(row["selling_place_id"], row["business_date"]) for row in rows.values()})
        now = utcnow()
        for index in indexes:
            row = rows.get(receipts[index]["receipt_id"])
            if row is not None:
                row.update(
                    content_hash=fingerprints[index],
                    after_close=(row["selling_place_id"], row["business_date"]) in closed,
                    recorded_at=now,
                )
    return rows, lines


def _sale_recorded(receipt: dict, lines: list[dict]) -> Event:
    """The SaleRecorded of a receipt just priced, built as `new_event` would build it, minus its check.

    `new_event` dumps and reloads every payload through the contract to catch a malformed one; on
    a batch of receipts that round trip costs more than everything else together. The payload
    here is assembled from input already validated and amounts computed here, and the tests
    decode every event sales publishes through the same contract, so the check stays where it
    catches drift without being paid for on every sale.
    """
    now = utcnow()
    trace_id = tracing.current_trace_id() or tracing.new_trace_id()
    return Event(
        type="SaleRecorded",
        version=SALE_RECORDED.version,
        source=SOURCE,
        data={
            "receipt_id": receipt["id"],
            "selling_place_id": receipt["selling_place_id"],
            "village_id": receipt["village_id"],
            "till_id": receipt["till_id"],
            "clerk": receipt["clerk"],
            "sold_at": receipt["sold_at"],
            "business_date": receipt["business_date"],
            "payment_method": receipt["payment_method"],
            "total": receipt["total"],
            "vat_total": receipt["vat_total"],
            "fiscal_document": receipt["fiscal_document"],
            "after_close": receipt["after_close"],
            "lines": lines,
        },
        occurred_at=receipt["sold_at"],
        recorded_at=now,
        selling_place_id=receipt["selling_place_id"],
        village_id=receipt["village_id"],
        trace_id=trace_id,
        traceparent=tracing.current_traceparent() or tracing.traceparent_of(trace_id),
    )


def find_receipts(
    *,
    session: Session,
    selling_place_id: uuid.UUID | None,
    business_date: date | None,
    flagged: bool | None,
    limit: int,
    visible=sa.true(),
) -> list[Receipt]:
    """Receipts the caller may see (`visible`), newest sale first, by selling place, day and review flag."""
    query = sa.select(Receipt).where(visible).order_by(Receipt.sold_at.desc(), Receipt.id).limit(limit)
    if selling_place_id is not None:
        query = query.where(Receipt.selling_place_id == selling_place_id)
    if business_date is not None:
        query = query.where(Receipt.business_date == business_date)
    if flagged is not None:
        query = query.where(Receipt.flagged.is_(flagged))
    return list(session.scalars(query))


def get_receipt(*, session: Session, receipt_id: uuid.UUID) -> Receipt | None:
    """One receipt with its lines."""
    return session.get(Receipt, receipt_id)
