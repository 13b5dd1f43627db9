"""Inventory's stock use cases: deliveries, adjustments, stocktakes and transfers (each a document
whose client-chosen id makes sending it twice harmless), sales and refunds from the sales service,
thresholds. Each writes its movements through the ledger, and the events that announce them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import insert_ignoring_conflicts, utcnow
from backbone.events import Event
from backbone.outbox import publish
from services.inventory import domain
from services.inventory.ledger import Move, apply_moves, demands, level_of, lock_stock
from services.inventory.models import Product, SellingPlace, Stock, StockDocument, StocktakeLine, UnmatchedSaleLine
from services.inventory.service import Conflict, Invalid, NotFound, event

# -- documents: deliveries, adjustments, stocktakes, transfers --------------------------------------


def _fingerprint(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def _lines_content(lines: list[dict], field: str) -> list:
    return [[str(line["product_id"]), str(line[field].quantize(Decimal("0.001")))] for line in lines]


def _open_document(session: Session, *, id_field: str, content: dict, **row) -> bool:
    """Record a new stock document; False if the same one was recorded before (a replay).

    The same id with other content is a Conflict naming `id_field`.
    """
    fingerprint = _fingerprint({**content, "kind": row["kind"], "selling_place_id": row["selling_place_id"]})
    inserted = insert_ignoring_conflicts(
        session,
        StockDocument.__table__,
        [
            {
                "to_selling_place_id": None,
                "reason": None,
                "number": None,
                "note": None,
                **row,
                "fingerprint": fingerprint,
                "created_at": utcnow(),
            }
        ],
        returning=[StockDocument.id],
    )
    if inserted:
        return True
    existing = session.get(StockDocument, row["id"])
    # None: recorded before fingerprints were kept; the kind and place must still match, so another
    # selling place's document id never passes for a replay here
    same_kind_and_place = (existing.kind, existing.selling_place_id) == (row["kind"], row["selling_place_id"])
    if not same_kind_and_place or existing.fingerprint not in (None, fingerprint):
        raise Conflict(id_field, "This id was already used for a different document.")
    return False


def _place(session: Session, selling_place_id: uuid.UUID, field: str = "selling_place_id") -> SellingPlace:
    place = session.get(SellingPlace, selling_place_id)
    if place is None:
        raise NotFound(field, "selling place")
    return place


def _products(session: Session, ids: list[uuid.UUID], *, field: str = "lines") -> dict[uuid.UUID, Product]:
    found = {p.id: p for p in session.scalars(sa.select(Product).where(Product.id.in_(set(ids))))}
    for index, product_id in enumerate(ids):
        if product_id not in found:
            raise NotFound((field, index, "product_id"), "product")
    return found


def _refuse_retired(products: dict[uuid.UUID, Product], lines: list[dict], what: str) -> None:
    for index, line in enumerate(lines):
        if not products[line["product_id"]].active:
            raise Invalid(("lines", index, "product_id"), f"This product is retired: it is no longer {what}.")


def restock(
    *,
    session: Session,
    selling_place_id: uuid.UUID,
    delivery_id: uuid.UUID | None,
    lines: list[dict],
    number: str | None = None,
    note: str | None = None,
) -> tuple[uuid.UUID, list[Stock], bool]:
    """Record a delivery note of several lines at a selling place; the same delivery id twice is recorded once.

    Returns the delivery id, the stock rows it touched, and whether it was new.
    """
    place = _place(session, selling_place_id)
    delivery_id = delivery_id or uuid.uuid4()
    products = _products(session, [line["product_id"] for line in lines])
    content = {"lines": _lines_content(lines, "quantity"), "number": number, "note": note}
    if not _open_document(
        session,
        id_field="delivery_id",
        content=content,
        id=delivery_id,
        kind="delivery",
        selling_place_id=place.id,
        number=number,
        note=note,
    ):
        stocks = lock_stock(session, [(place, products[line["product_id"]]) for line in lines])
        return delivery_id, [stocks[(place.id, line["product_id"])] for line in lines], False
    _refuse_retired(products, lines, "delivered")
    moves = [Move(place, products[line["product_id"]], line["quantity"], "restock", delivery_id) for line in lines]

    def announce(move: Move) -> Event:
        return event(
            "StockRestocked",
            {
                "selling_place_id": place.id,
                "product_id": move.product.id,
                "producer_id": move.product.producer_id,
                "on_hand": move.on_hand_after,
                "delivery_id": delivery_id,
                "quantity": move.quantity,
            },
            selling_place_id=place.id,
            village_id=place.village_id,
        )

    stocks = apply_moves(session, moves, announce=announce)
    return delivery_id, [stocks[move.key] for move in moves], True


def _adjusted(move: Move, adjustment_id: uuid.UUID, reason: str, note: str | None) -> Event:
    return event(
        "StockAdjusted",
        {
            "selling_place_id": move.place.id,
            "product_id": move.product.id,
            "producer_id": move.product.producer_id,
            "on_hand": move.on_hand_after,
            "adjustment_id": adjustment_id,
            "quantity": move.quantity,
            "reason": reason,
            "note": note,
        },
        selling_place_id=move.place.id,
        village_id=move.place.village_id,
    )


def adjust(
    *,
    session: Session,
    selling_place_id: uuid.UUID,
    adjustment_id: uuid.UUID | None,
    reason: str,
    note: str | None,
    lines: list[dict],
) -> tuple[uuid.UUID, list[Stock], bool]:
    """Correct the stock by hand for a reason (breakage, expiry, returned to producer, theft, other).

    A loss may take the stock below zero: it happened, and the discrepancy asks for a stocktake.
    """
    place = _place(session, selling_place_id)
    adjustment_id = adjustment_id or uuid.uuid4()
    products = _products(session, [line["product_id"] for line in lines])
    content = {"lines": _lines_content(lines, "quantity"), "reason": reason, "note": note}
    if not _open_document(
        session,
        id_field="adjustment_id",
        content=content,
        id=adjustment_id,
        kind="adjustment",
        selling_place_id=place.id,
        reason=reason,
        note=note,
    ):
        stocks = lock_stock(session, [(place, products[line["product_id"]]) for line in lines])
        return adjustment_id, [stocks[(place.id, line["product_id"])] for line in lines], False
    moves = [
        Move(place, products[line["product_id"]], line["quantity"], "adjustment", adjustment_id, reason=reason) for line in lines
    ]
    stocks = apply_moves(session, moves, announce=lambda move: _adjusted(move, adjustment_id, reason, note))
    return adjustment_id, [stocks[move.key] for move in moves], True


def take_stock(
    *, session: Session, selling_place_id: uuid.UUID, stocktake_id: uuid.UUID | None, note: str | None, lines: list[dict]
) -> tuple[StockDocument, list[StocktakeLine], bool]:
    """Record counted quantities: each difference from the ledger becomes a stocktake variance movement.

    Products not counted keep their stock. Returns the stocktake, its lines, and whether it was new.
    """
    place = _place(session, selling_place_id)
    stocktake_id = stocktake_id or uuid.uuid4()
    products = _products(session, [line["product_id"] for line in lines])
    content = {"lines": sorted(_lines_content(lines, "counted")), "note": note}
    new = _open_document(
        session, id_field="stocktake_id", content=content, id=stocktake_id, kind="stocktake", selling_place_id=place.id, note=note
    )
    if new:
        stocks = lock_stock(session, [(place, products[line["product_id"]]) for line in lines])
        moves = []
        for line in sorted(lines, key=lambda line: line["product_id"]):
            product = products[line["product_id"]]
            expected = stocks[(place.id, product.id)].on_hand
            variance = line["counted"] - expected
            session.add(
                StocktakeLine(
                    stocktake_id=stocktake_id,
                    product_id=product.id,
                    expected=expected,
                    counted=line["counted"],
                    variance=variance,
                )
            )
            if variance:
                moves.append(Move(place, product, variance, "stocktake", stocktake_id, reason="stocktake_variance"))
        if moves:
            apply_moves(
                session, moves, stocks=stocks, announce=lambda move: _adjusted(move, stocktake_id, "stocktake_variance", note)
            )
        session.flush()
    return stocktake(session=session, stocktake_id=stocktake_id) + (new,)


def stocktake(*, session: Session, stocktake_id: uuid.UUID) -> tuple[StockDocument, list[StocktakeLine]]:
    """A stocktake and its counted lines."""
    document = session.get(StockDocument, stocktake_id)
    if document is None or document.kind != "stocktake":
        raise NotFound("stocktake_id", "stocktake")
    lines = session.scalars(
        sa.select(StocktakeLine).where(StocktakeLine.stocktake_id == stocktake_id).order_by(StocktakeLine.product_id)
    ).all()
    return document, list(lines)


def transfer(
    *,
    session: Session,
    selling_place_id: uuid.UUID,
    to_selling_place_id: uuid.UUID,
    transfer_id: uuid.UUID | None,
    note: str | None,
    lines: list[dict],
) -> tuple[uuid.UUID, list[dict], bool]:
    """Move a producer's goods from one selling place to another: a transfer out here, a transfer in there.

    Goods are moved as they physically are: if the sender's ledger shows fewer, its stock goes
    below zero and the discrepancy asks for a stocktake.
    """
    source = _place(session, selling_place_id)
    if to_selling_place_id == selling_place_id:
        raise Invalid("to_selling_place_id", "Goods are transferred to another selling place.")
    destination = _place(session, to_selling_place_id, "to_selling_place_id")
    transfer_id = transfer_id or uuid.uuid4()
    products = _products(session, [line["product_id"] for line in lines])
    content = {"lines": _lines_content(lines, "quantity"), "to": str(destination.id), "note": note}
    pairs = [(place, products[line["product_id"]]) for line in lines for place in (source, destination)]
    if not _open_document(
        session,
        id_field="transfer_id",
        content=content,
        id=transfer_id,
        kind="transfer",
        selling_place_id=source.id,
        to_selling_place_id=destination.id,
        note=note,
    ):
        stocks = lock_stock(session, pairs)
        result = [
            {
                "product_id": line["product_id"],
                "quantity": line["quantity"],
                "on_hand_from": stocks[(source.id, line["product_id"])].on_hand,
                "on_hand_to": stocks[(destination.id, line["product_id"])].on_hand,
            }
            for line in lines
        ]
        return transfer_id, result, False
    _refuse_retired(products, lines, "moved between selling places")
    moves = []
    for line in lines:
        product = products[line["product_id"]]
        moves.append(Move(source, product, -line["quantity"], "transfer_out", transfer_id))
        moves.append(Move(destination, product, line["quantity"], "transfer_in", transfer_id))
    apply_moves(session, moves)
    result, events = [], []
    for out, into in zip(moves[::2], moves[1::2], strict=True):
        result.append(
            {
                "product_id": out.product.id,
                "quantity": into.quantity,
                "on_hand_from": out.on_hand_after,
                "on_hand_to": into.on_hand_after,
            }
        )
        events.append(
            event(
                "StockTransferred",
                {
                    "transfer_id": transfer_id,
                    "product_id": out.product.id,
                    "producer_id": out.product.producer_id,
                    "from_selling_place_id": source.id,
                    "to_selling_place_id": destination.id,
                    "quantity": into.quantity,
                    "on_hand_from": out.on_hand_after,
                    "on_hand_to": into.on_hand_after,
                },
                selling_place_id=source.id,
                village_id=source.village_id,
            )
        )
    publish(session, *events)
    return transfer_id, result, True


# -- sales: facts from the sales service ----------------------------------------------------------


def _unmatched(event_: Event, kind: str, lines: list[dict]) -> list[dict]:
    """The rows that keep an event's lines inventory cannot match, for review."""
    merged: dict[int, dict] = {}
    for line in lines:  # one row per line number, even if a refund names a line twice
        row = merged.setdefault(
            line["line_no"],
            {
                "event_id": event_.event_id,
                "line_no": line["line_no"],
                "kind": kind,
                "selling_place_id": event_.data["selling_place_id"],
                "product_id": line["product_id"],
                "quantity": Decimal(0),
                "created_at": utcnow(),
            },
        )
        row["quantity"] += line["quantity"]
    return list(merged.values())


@dataclass(frozen=True)
class _Shelved:
    """The lines of one sale or refund that touch a shelf, and how."""

    event: Event
    lines: list[dict]
    kind: str
    sign: int
    reference: uuid.UUID
    occurred_at: datetime


def _from_sales(session: Session, batch: list[_Shelved]) -> None:
    """Apply the lines of sales or refunds to the shelves of their selling places; keep what is unknown.

    The stock rows of the whole batch are locked at once, in key order, like every other use case:
    locking them event by event would deadlock against a delivery or a transfer.
    """
    places = {
        p.id: p
        for p in session.scalars(
            sa.select(SellingPlace).where(SellingPlace.id.in_({b.event.data["selling_place_id"] for b in batch}))
        )
    }
    product_ids = {line["product_id"] for b in batch for line in b.lines}
    products = {p.id: p for p in session.scalars(sa.select(Product).where(Product.id.in_(product_ids)))}
    moves, unmatched = [], []
    for shelved in batch:
        place = places.get(shelved.event.data["selling_place_id"])
        # a shop or product inventory has never heard of: keep the line for review rather than lose it
        known, unknown = [], []
        for line in shelved.lines:
            (known if place is not None and line["product_id"] in products else unknown).append(line)
        unmatched += _unmatched(shelved.event, shelved.kind, unknown)
        moves += [
            Move(
                place,
                products[line["product_id"]],
                shelved.sign * line["quantity"],
                shelved.kind,
                shelved.reference,
                event_id=shelved.event.event_id,
                cause_event=shelved.event,
                occurred_at=shelved.occurred_at,
            )
            for line in known
        ]
    # one INSERT for the whole batch, not one per event
    insert_ignoring_conflicts(session, UnmatchedSaleLine.__table__, unmatched)
    if moves:
        apply_moves(session, moves)


def record_sales(*, session: Session, events: list[Event]) -> None:
    """Take recorded sales off the shelves of their selling places (consumer of SaleRecorded); never refused."""
    _from_sales(
        session,
        [_Shelved(e, e.data["lines"], "sale", -1, e.data["receipt_id"], e.data["sold_at"]) for e in events],
    )


def record_refunds(*, session: Session, events: list[Event]) -> None:
    """Put goods given back on the shelf of the selling place they were sold at (consumer of SaleRefunded)."""
    batch = []
    for e in events:
        returned = [line for line in e.data["lines"] if line["returned_to_shelf"]]
        if returned:
            batch.append(_Shelved(e, returned, "refund", 1, e.data["refund_id"], e.data["refunded_at"]))
    if batch:
        _from_sales(session, batch)


# -- thresholds -----------------------------------------------------------------------


def set_threshold(
    *,
    session: Session,
    selling_place_id: uuid.UUID,
    product_id: uuid.UUID,
    reorder_threshold: Decimal,
    target_level: Decimal | None,
) -> Stock:
    """Set the reorder threshold and target level of one product at one selling place."""
    place = _place(session, selling_place_id)
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("product_id", "product")
    stock = lock_stock(session, [(place, product)])[(place.id, product.id)]
    stock.reorder_threshold = reorder_threshold
    stock.target_level = target_level
    demand = demands(session, [stock], {product.id: product}, utcnow())[(place.id, product.id)]
    level = domain.arm(level_of(stock), demand)
    stock.low_armed = level.low_armed
    stock.low_reason = level.low_reason
    stock.updated_at = utcnow()
    return stock
