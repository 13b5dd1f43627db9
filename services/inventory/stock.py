"""Inventory's stock use cases: every change to a shelf is a ledger line with its cause and the
document or event behind it, written together with the stock row it sums to and the events that
announce it, in the caller's transaction.

Stock rows are locked in primary-key order (selling place, product) before any change, by every
use case alike, so concurrent sales, deliveries, transfers and stocktakes never deadlock and
on-hand stock always equals the sum of the ledger.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from backbone.db import insert_ignoring_conflicts, utcnow
from backbone.events import Event
from backbone.outbox import publish
from services.inventory import domain
from services.inventory.models import (
    Producer,
    Product,
    SellingPlace,
    Stock,
    StockDocument,
    StockMovement,
    StocktakeLine,
    UnmatchedSaleLine,
    Village,
)
from services.inventory.service import Conflict, Invalid, NotFound, event, prices_at

Key = tuple[uuid.UUID, uuid.UUID]  # (selling place, product): a stock row's primary key

#: what a delivered quantity is rounded up to when inventory suggests one
STEP = {"piece": Decimal(1)}
FINE_STEP = Decimal("0.1")


@dataclass
class Move:
    """One movement to write: where, what, how much (signed), why, and what it belongs to."""

    place: SellingPlace
    product: Product
    quantity: Decimal
    cause: str
    reference: uuid.UUID | None
    event_id: uuid.UUID | None = None
    reason: str | None = None
    occurred_at: datetime | None = None
    #: set once applied
    on_hand_after: Decimal | None = None

    @property
    def key(self) -> Key:
        return (self.place.id, self.product.id)


# -- the ledger -----------------------------------------------------------------------------------


def _lock_stock(session: Session, pairs: list[tuple[SellingPlace, Product]]) -> dict[Key, Stock]:
    """The stock rows of (place, product) pairs, created if missing, locked in primary-key order."""
    unique = {(place.id, product.id): (place, product) for place, product in pairs}
    keys = sorted(unique)
    insert_ignoring_conflicts(
        session,
        Stock.__table__,
        [
            {
                "selling_place_id": place_id,
                "product_id": product_id,
                "on_hand": Decimal(0),
                "reorder_threshold": unique[(place_id, product_id)][1].reorder_threshold,
                "low_armed": False,
                "low_crossings": 0,
                "out_crossings": 0,
                "updated_at": utcnow(),
            }
            for place_id, product_id in keys
        ],
    )
    by_place: dict[uuid.UUID, list[uuid.UUID]] = {}
    for place_id, product_id in keys:
        by_place.setdefault(place_id, []).append(product_id)
    rows = session.scalars(
        sa.select(Stock)
        .where(sa.or_(*(sa.and_(Stock.selling_place_id == p, Stock.product_id.in_(ids)) for p, ids in by_place.items())))
        .order_by(Stock.selling_place_id, Stock.product_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {(row.selling_place_id, row.product_id): row for row in rows}


def _level(stock: Stock) -> domain.Level:
    return domain.Level(
        on_hand=stock.on_hand,
        threshold=stock.reorder_threshold,
        target_level=stock.target_level,
        low_armed=stock.low_armed,
        low_crossings=stock.low_crossings,
        out_crossings=stock.out_crossings,
        low_reason=stock.low_reason,
    )


def _lead_times(session: Session, products) -> dict[uuid.UUID, int]:
    """Each product's producer lead time in days, by product id."""
    producer_ids = {p.producer_id for p in products}
    rows = session.execute(sa.select(Producer.id, Producer.lead_time_days).where(Producer.id.in_(producer_ids)))
    lead = dict(rows.all())
    return {p.id: lead[p.producer_id] for p in products}


def _demand(session: Session, stocks: list[Stock], products: dict[uuid.UUID, Product], now: datetime) -> dict[Key, domain.Demand]:
    """The recent sales rate of each stock row (net of goods given back), with its producer's lead time.

    The rate is what sold in the last COVER_WINDOW_DAYS, over the time the goods were on that shelf
    within the window, but never over less than COVER_MIN_DAYS, so a first busy morning does not
    read as a trend.
    """
    if not stocks:
        return {}
    window_days = int(current_app.config["COVER_WINDOW_DAYS"])
    min_days = Decimal(min(int(current_app.config["COVER_MIN_DAYS"]), window_days))
    since = now - timedelta(days=window_days)
    by_place: dict[uuid.UUID, set[uuid.UUID]] = {}
    for stock in stocks:
        by_place.setdefault(stock.selling_place_id, set()).add(stock.product_id)
    net = sa.func.sum(StockMovement.quantity)
    rows = session.execute(
        sa.select(StockMovement.selling_place_id, StockMovement.product_id, net)
        .where(
            sa.or_(
                *(sa.and_(StockMovement.selling_place_id == p, StockMovement.product_id.in_(ids)) for p, ids in by_place.items())
            ),
            StockMovement.cause.in_(("sale", "refund")),
            StockMovement.occurred_at >= since,
        )
        .group_by(StockMovement.selling_place_id, StockMovement.product_id)
    )
    sold = {(place_id, product_id): -total for place_id, product_id, total in rows}
    lead_times = _lead_times(session, [products[s.product_id] for s in stocks])
    demand = {}
    for stock in stocks:
        key = (stock.selling_place_id, stock.product_id)
        start = max(since, stock.first_movement_at or now)
        observed = Decimal(int((now - start).total_seconds())) / 86400
        observed = min(max(observed, min_days), Decimal(window_days))
        quantity = max(sold.get(key, Decimal(0)), Decimal(0))
        product = products[stock.product_id]
        demand[key] = domain.Demand(
            daily_rate=quantity / observed if quantity else None,
            lead_time_days=lead_times[product.id],
            step=STEP.get(product.unit, FINE_STEP),
        )
    return demand


def _signal_event(signal: domain.Signal, move: Move, level: domain.Level, demand: domain.Demand) -> Event:
    data = {
        "selling_place_id": move.place.id,
        "product_id": move.product.id,
        "producer_id": move.product.producer_id,
        "on_hand": level.on_hand,
    }
    if signal is domain.Signal.LOW:
        data |= {
            "threshold": level.threshold,
            "crossing": level.low_crossings,
            "suggested_quantity": domain.suggested_quantity(level, demand),
            "reason": level.low_reason,
            "days_of_cover": domain.rounded_days(demand.days_of_cover(level.on_hand)),
        }
    elif signal is domain.Signal.OUT:
        data |= {"crossing": level.out_crossings}
    return event(signal.value, data, selling_place_id=move.place.id, village_id=move.place.village_id)


def _apply(session: Session, moves: list[Move], *, announce=None, stocks: dict[Key, Stock] | None = None) -> dict[Key, Stock]:
    """Write the moves to the ledger and their stock rows, and publish the events they raise.

    `announce(move)` may return the event that describes a move (StockRestocked, ...); it goes
    out before the alerts the move raises. Pass `stocks` if the rows are locked already.
    """
    now = utcnow()
    if stocks is None:
        stocks = _lock_stock(session, [(move.place, move.product) for move in moves])
    for move in moves:
        occurred_at = move.occurred_at or now
        session.add(
            StockMovement(
                selling_place_id=move.place.id,
                product_id=move.product.id,
                quantity=move.quantity,
                cause=move.cause,
                reason=move.reason,
                reference=move.reference,
                event_id=move.event_id,
                occurred_at=occurred_at,
                created_at=now,
            )
        )
        stock = stocks[move.key]
        if stock.first_movement_at is None or occurred_at < stock.first_movement_at:
            stock.first_movement_at = occurred_at
    session.flush()  # the rate of sales below counts these movements too
    touched = list({move.key: stocks[move.key] for move in moves}.values())
    demand = _demand(session, touched, {move.product.id: move.product for move in moves}, now)
    events: list[Event] = []
    for move in moves:
        stock = stocks[move.key]
        level, signals = domain.move(_level(stock), move.quantity, demand[move.key])
        stock.on_hand = level.on_hand
        stock.low_armed = level.low_armed
        stock.low_reason = level.low_reason
        stock.low_crossings = level.low_crossings
        stock.out_crossings = level.out_crossings
        stock.updated_at = now  # set here, so the response shows exactly what was stored
        move.on_hand_after = level.on_hand
        described = announce(move) if announce else None
        if described is not None:
            events.append(described)
        events += [_signal_event(signal, move, level, demand[move.key]) for signal in signals]
    publish(session, *events)
    return stocks


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
    if existing.fingerprint not in (None, fingerprint):  # None: recorded before documents were kept
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
        stocks = _lock_stock(session, [(place, products[line["product_id"]]) for line in lines])
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

    stocks = _apply(session, moves, announce=announce)
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
        stocks = _lock_stock(session, [(place, products[line["product_id"]]) for line in lines])
        return adjustment_id, [stocks[(place.id, line["product_id"])] for line in lines], False
    moves = [
        Move(place, products[line["product_id"]], line["quantity"], "adjustment", adjustment_id, reason=reason) for line in lines
    ]
    stocks = _apply(session, moves, announce=lambda move: _adjusted(move, adjustment_id, reason, note))
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
        stocks = _lock_stock(session, [(place, products[line["product_id"]]) for line in lines])
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
            _apply(session, moves, stocks=stocks, announce=lambda move: _adjusted(move, stocktake_id, "stocktake_variance", note))
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
        stocks = _lock_stock(session, pairs)
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
    _apply(session, moves)
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


def _keep_unmatched(session: Session, event_: Event, kind: str, lines: list[dict]) -> None:
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
    insert_ignoring_conflicts(session, UnmatchedSaleLine.__table__, list(merged.values()))


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
    moves = []
    for shelved in batch:
        place = places.get(shelved.event.data["selling_place_id"])
        # a shop or product inventory has never heard of: keep the line for review rather than lose it
        known, unknown = [], []
        for line in shelved.lines:
            (known if place is not None and line["product_id"] in products else unknown).append(line)
        _keep_unmatched(session, shelved.event, shelved.kind, unknown)
        moves += [
            Move(
                place,
                products[line["product_id"]],
                shelved.sign * line["quantity"],
                shelved.kind,
                shelved.reference,
                event_id=shelved.event.event_id,
                occurred_at=shelved.occurred_at,
            )
            for line in known
        ]
    if moves:
        _apply(session, moves)


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


# -- thresholds and queries -----------------------------------------------------------------------


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
    stock = _lock_stock(session, [(place, product)])[(place.id, product.id)]
    stock.reorder_threshold = reorder_threshold
    stock.target_level = target_level
    demand = _demand(session, [stock], {product.id: product}, utcnow())[(place.id, product.id)]
    level = domain.arm(_level(stock), demand)
    stock.low_armed = level.low_armed
    stock.low_reason = level.low_reason
    stock.updated_at = utcnow()
    return stock


def describe(session: Session, stocks: list[Stock]) -> list[dict]:
    """Stock rows as the API shows them: with their product, the recent sales rate and the days of cover."""
    if not stocks:
        return []
    products = {p.id: p for p in session.scalars(sa.select(Product).where(Product.id.in_({s.product_id for s in stocks})))}
    demand = _demand(session, stocks, products, utcnow())
    prices = prices_at(session, products)
    columns = Stock.__table__.columns.keys()
    described = []
    for stock in stocks:
        product = products[stock.product_id]
        rate = demand[(stock.selling_place_id, stock.product_id)]
        described.append(
            {
                **{name: getattr(stock, name) for name in columns},
                "producer_id": product.producer_id,
                "product_name": product.name,
                "unit": product.unit,
                "active": product.active,
                "low": not stock.low_armed and stock.low_reason is not None,
                "daily_sales": None if rate.daily_rate is None else rate.daily_rate.quantize(Decimal("0.001")),
                "days_of_cover": domain.rounded_days(rate.days_of_cover(stock.on_hand)),
                "value": _value(stock.on_hand, prices.get(product.id)),
            }
        )
    return described


def _value(on_hand: Decimal, price: Decimal | None) -> Decimal | None:
    """What the goods on the shelf sell for at today's price, to the cent (half-up)."""
    if price is None:
        return None
    return (on_hand * price).quantize(Decimal("0.01"), ROUND_HALF_UP)


def stock_of(*, session: Session, selling_place_id: uuid.UUID) -> list[dict]:
    """Every product's stock at one selling place."""
    _place(session, selling_place_id)
    stocks = session.scalars(sa.select(Stock).where(Stock.selling_place_id == selling_place_id).order_by(Stock.product_id)).all()
    return describe(session, list(stocks))


def stock_line(*, session: Session, selling_place_id: uuid.UUID, product_id: uuid.UUID) -> dict | None:
    """One product's stock at one selling place, or None if it was never there."""
    stock = session.get(Stock, (selling_place_id, product_id))
    return None if stock is None else describe(session, [stock])[0]


def producer_stock(*, session: Session, producer_id: uuid.UUID) -> list[dict]:
    """Where a producer's goods are: their stock at every selling place, by product and place."""
    if session.get(Producer, producer_id) is None:
        raise NotFound("producer_id", "producer")
    rows = session.execute(
        sa.select(Stock, SellingPlace.name, SellingPlace.village_id, Village.name)
        .join(Product, Product.id == Stock.product_id)
        .join(SellingPlace, SellingPlace.id == Stock.selling_place_id)
        .join(Village, Village.id == SellingPlace.village_id)
        .where(Product.producer_id == producer_id)
        .order_by(Product.name, Product.id, Village.name, SellingPlace.name, SellingPlace.id)
    ).all()
    described = describe(session, [stock for stock, *_ in rows])
    return [
        {**line, "selling_place_name": place_name, "village_id": village_id, "village_name": village_name}
        for line, (_, place_name, village_id, village_name) in zip(described, rows, strict=True)
    ]


def ledger(*, session: Session, selling_place_id: uuid.UUID, product_id: uuid.UUID) -> list[StockMovement]:
    """The movements of one product at one selling place, oldest first."""
    _place(session, selling_place_id)
    return list(
        session.scalars(
            sa.select(StockMovement)
            .where(StockMovement.selling_place_id == selling_place_id, StockMovement.product_id == product_id)
            .order_by(StockMovement.id)
        )
    )
