"""Inventory's stock queries: what is on a shelf, where a producer's goods are, and the ledger."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import utcnow
from services.inventory import domain
from services.inventory.ledger import demands
from services.inventory.models import Producer, Product, SellingPlace, Stock, StockMovement, Village
from services.inventory.service import NotFound, prices_at


def _place(session: Session, selling_place_id: uuid.UUID) -> None:
    if session.get(SellingPlace, selling_place_id) is None:
        raise NotFound("selling_place_id", "selling place")


def describe(session: Session, stocks: list[Stock]) -> list[dict]:
    """Stock rows as the API shows them: with their product, the recent sales rate and the days of cover."""
    if not stocks:
        return []
    products = {p.id: p for p in session.scalars(sa.select(Product).where(Product.id.in_({s.product_id for s in stocks})))}
    demand = demands(session, stocks, products, utcnow())
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


def stock_of(*, session: Session, selling_place_id: uuid.UUID, visible=sa.true()) -> list[dict]:
    """Every product's stock at one selling place, of those the caller may see (`visible`)."""
    _place(session, selling_place_id)
    stocks = session.scalars(
        sa.select(Stock).where(Stock.selling_place_id == selling_place_id, visible).order_by(Stock.product_id)
    ).all()
    return describe(session, list(stocks))


def stock_line(*, session: Session, selling_place_id: uuid.UUID, product_id: uuid.UUID, visible=sa.true()) -> dict | None:
    """One product's stock at one selling place, or None if it was never there or the caller may not see it."""
    stock = session.scalar(
        sa.select(Stock).where(Stock.selling_place_id == selling_place_id, Stock.product_id == product_id, visible)
    )
    return None if stock is None else describe(session, [stock])[0]


def producer_stock(*, session: Session, producer_id: uuid.UUID, visible=sa.true()) -> list[dict]:
    """Where a producer's goods are: their stock at every selling place the caller may see, by product and place."""
    if session.get(Producer, producer_id) is None:
        raise NotFound("producer_id", "producer")
    rows = session.execute(
        sa.select(Stock, SellingPlace.name, SellingPlace.village_id, Village.name)
        .join(Product, Product.id == Stock.product_id)
        .join(SellingPlace, SellingPlace.id == Stock.selling_place_id)
        .join(Village, Village.id == SellingPlace.village_id)
        .where(Product.producer_id == producer_id, visible)
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
