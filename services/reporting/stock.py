"""Stock figures of the reports: restocked quantity, sell-through and days out of stock.

Read from the stock facts (far fewer than sale lines) joined with the catalogue copies for the
village, sector and mountain flag. A day counts as out of stock for a product at a selling place
when its stock was at or below zero at some moment of that day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.reporting.models import UNATTRIBUTED_SECTOR, UNATTRIBUTED_VILLAGE, Product, SellingPlace, StockFact

ZERO = Decimal("0")


def applies(query) -> bool:
    """Stock has no VAT rate: its figures exist for every grouping but one by VAT rate."""
    return "vat_rate" not in query.group_by


def _attributes():
    return {
        "village": sa.func.coalesce(SellingPlace.village_id, sa.literal(UNATTRIBUTED_VILLAGE, sa.Uuid())),
        "selling_place": StockFact.selling_place_id,
        "producer": StockFact.producer_id,
        "product": StockFact.product_id,
        "sector": sa.func.coalesce(Product.sector, UNATTRIBUTED_SECTOR),
        "mountain_product": sa.func.coalesce(Product.mountain_product, False),
    }


def _joined(statement):
    return statement.outerjoin(SellingPlace, SellingPlace.selling_place_id == StockFact.selling_place_id).outerjoin(
        Product, Product.product_id == StockFact.product_id
    )


def _filters(query) -> list:
    attributes = _attributes()
    where = []
    for values, name in (
        (query.villages, "village"),
        (query.selling_places, "selling_place"),
        (query.sectors, "sector"),
        (query.producers, "producer"),
    ):
        if values:
            where.append(attributes[name].in_(values))
    if query.mountain_product is not None:
        where.append(attributes["mountain_product"].is_(query.mountain_product))
    if query.scope is not None:
        dimension, value = query.scope
        where.append(attributes[dimension] == value)
    return where


def figures(*, session: Session, query) -> dict:
    """Restocked quantity and days out of stock per report cell (keyed like the sales cells)."""
    from services.reporting.reports import cell_key  # reports imports this module

    attributes = _attributes()
    dims = [attributes[name].label(name) for name in query.group_by]
    cells: dict = defaultdict(lambda: {"restocked": ZERO, "days_out": 0})
    restocks = _joined(
        sa.select(StockFact.business_date.label("day"), *dims, sa.func.sum(StockFact.quantity).label("restocked")).select_from(
            StockFact
        )
    ).where(StockFact.kind == "restock", StockFact.business_date.between(query.date_from, query.date_to), *_filters(query))
    for row in session.execute(restocks.group_by(StockFact.business_date, *dims)).mappings():
        cells[cell_key(query, row, row["day"])]["restocked"] += row["restocked"]
    for values, day in _days_out(session, query, dims):
        cells[cell_key(query, values, day)]["days_out"] += 1
    return cells


def _days_out(session: Session, query, dims):
    """(cell values, day) for every day a product was out of stock at a selling place in the period."""
    levels = _joined(
        sa.select(
            StockFact.selling_place_id.label("place"),
            StockFact.product_id.label("item"),
            StockFact.occurred_at,
            StockFact.business_date,
            StockFact.on_hand,
            *dims,
        ).select_from(StockFact)
    ).where(*_filters(query))
    in_period = levels.where(StockFact.business_date.between(query.date_from, query.date_to))
    latest_before = (
        sa.select(StockFact.selling_place_id, StockFact.product_id, sa.func.max(StockFact.occurred_at).label("at"))
        .where(StockFact.business_date < query.date_from)
        .group_by(StockFact.selling_place_id, StockFact.product_id)
        .subquery()
    )
    before = levels.join(
        latest_before,
        sa.and_(
            latest_before.c.selling_place_id == StockFact.selling_place_id,
            latest_before.c.product_id == StockFact.product_id,
            latest_before.c.at == StockFact.occurred_at,
        ),
    )
    history: dict = defaultdict(list)
    for row in session.execute(before).mappings():
        history[(row["place"], row["item"])].append((query.date_from, row))
    for row in session.execute(in_period.order_by(StockFact.occurred_at)).mappings():
        history[(row["place"], row["item"])].append((row["business_date"], row))
    last_day = min(query.date_to, date.today())
    for entries in history.values():
        out_since = None
        values = entries[0][1]
        for day, row in entries:
            values = row
            if row["on_hand"] <= 0 and out_since is None:
                out_since = day
            elif row["on_hand"] > 0 and out_since is not None:
                yield from ((values, d) for d in _days(out_since, day))
                out_since = None
        if out_since is not None:
            yield from ((values, d) for d in _days(out_since, last_day))


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def row_figures(stocked: dict | None, sold: Decimal) -> dict:
    """A row's stock figures; sell-through is the share of the restocked quantity sold, in percent."""
    restocked = stocked["restocked"] if stocked else ZERO
    return {
        "restocked_quantity": restocked,
        "sell_through": (sold * 100 / restocked).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if restocked else None,
        "days_out_of_stock": stocked["days_out"] if stocked else 0,
    }
