"""The stock ledger: every change to a shelf is a movement row, written together with the stock
row it sums to and the alerts it raises, in the caller's transaction.

Stock rows are locked in primary-key order (selling place, product), all those a transaction
needs in one go, by every use case alike: concurrent sales, deliveries, transfers and stocktakes
then never deadlock, and on-hand stock always equals the sum of the ledger.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from backbone.db import insert_ignoring_conflicts, utcnow
from backbone.events import Event
from backbone.outbox import publish
from services.inventory import domain
from services.inventory.models import Producer, Product, SellingPlace, Stock, StockMovement
from services.inventory.service import event

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
    #: the event being applied that caused the move (its alerts continue that event's trace)
    cause_event: Event | None = None
    reason: str | None = None
    occurred_at: datetime | None = None
    #: set once applied
    on_hand_after: Decimal | None = None

    @property
    def key(self) -> Key:
        """The stock row it changes."""
        return (self.place.id, self.product.id)


# -- the ledger -----------------------------------------------------------------------------------


def lock_stock(session: Session, pairs: list[tuple[SellingPlace, Product]]) -> dict[Key, Stock]:
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


def level_of(stock: Stock) -> domain.Level:
    """A stock row as the stock rules see it."""
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


def demands(session: Session, stocks: list[Stock], products: dict[uuid.UUID, Product], now: datetime) -> dict[Key, domain.Demand]:
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
    return event(signal.value, data, selling_place_id=move.place.id, village_id=move.place.village_id, caused_by=move.cause_event)


def apply_moves(
    session: Session, moves: list[Move], *, announce=None, stocks: dict[Key, Stock] | None = None
) -> dict[Key, Stock]:
    """Write the moves to the ledger and their stock rows, and publish the events they raise.

    `announce(move)` may return the event that describes a move (StockRestocked, ...); it goes
    out before the alerts the move raises. Pass `stocks` if the rows are locked already.
    """
    now = utcnow()
    if stocks is None:
        stocks = lock_stock(session, [(move.place, move.product) for move in moves])
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
    demand = demands(session, touched, {move.product.id: move.product for move in moves}, now)
    events: list[Event] = []
    for move in moves:
        stock = stocks[move.key]
        level, signals = domain.move(level_of(stock), move.quantity, demand[move.key])
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
