"""Inventory's use cases: keyword-only functions that change the catalogue and the stock ledger,
and write the events that describe each change into the outbox, in the caller's transaction."""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import insert_ignoring_conflicts
from backbone.events import Event, new_event
from backbone.outbox import publish
from services.inventory import domain
from services.inventory.models import (
    Producer,
    Product,
    SellingPlace,
    Stock,
    StockMovement,
    UnmatchedSaleLine,
    Village,
)

SOURCE = "inventory"


class NotFound(Exception):
    """A referenced object does not exist; `field` names where it was referenced."""

    def __init__(self, field: str | tuple, what: str):
        super().__init__(f"unknown {what}")
        self.field = field
        self.what = what


class Conflict(Exception):
    """The request clashes with existing data; `field` names the clashing field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _event(type: str, data: dict, **envelope) -> Event:
    return new_event(type, data, source=SOURCE, **envelope)


# -- catalogue ----------------------------------------------------------------------------------


def register_village(*, session: Session, name: str, istat_code: str, province: str, population: int) -> Village:
    """Add a village to the network."""
    if session.scalar(sa.select(Village.id).where(Village.istat_code == istat_code)):
        raise Conflict("istat_code", "A village with this ISTAT code is already in the network.")
    village = Village(id=uuid.uuid4(), name=name, istat_code=istat_code, province=province, population=population)
    session.add(village)
    session.flush()
    publish(
        session,
        _event(
            "VillageRegistered",
            {"village_id": village.id, "name": name, "istat_code": istat_code, "province": province, "population": population},
            village_id=village.id,
        ),
    )
    return village


def villages(*, session: Session, istat_code: str | None = None) -> list[Village]:
    """The network's villages by name, or the one with `istat_code`."""
    query = sa.select(Village).order_by(Village.name)
    if istat_code is not None:
        query = query.where(Village.istat_code == istat_code)
    return list(session.scalars(query))


def register_selling_place(
    *, session: Session, village_id: uuid.UUID, name: str, address: str | None, timezone: str, commission_rate: Decimal
) -> SellingPlace:
    """Open a selling place in a village."""
    if session.get(Village, village_id) is None:
        raise NotFound("village_id", "village")
    place = SellingPlace(
        id=uuid.uuid4(), village_id=village_id, name=name, address=address, timezone=timezone, commission_rate=commission_rate
    )
    session.add(place)
    session.flush()
    publish(
        session,
        _event(
            "SellingPlaceRegistered",
            {
                "selling_place_id": place.id,
                "village_id": village_id,
                "name": name,
                "timezone": timezone,
                "commission_rate": commission_rate,
            },
            selling_place_id=place.id,
            village_id=village_id,
        ),
    )
    return place


def register_producer(
    *,
    session: Session,
    name: str,
    sector: str,
    home_village_id: uuid.UUID | None,
    language: str,
    email: str | None,
    phone: str | None,
    webhook_url: str | None,
) -> Producer:
    """Register a producer: one identity across every village they sell in."""
    if home_village_id is not None and session.get(Village, home_village_id) is None:
        raise NotFound("home_village_id", "village")
    producer = Producer(
        id=uuid.uuid4(),
        name=name,
        sector=sector,
        home_village_id=home_village_id,
        language=language,
        email=email,
        phone=phone,
        webhook_url=webhook_url,
    )
    session.add(producer)
    session.flush()
    publish(
        session,
        _event(
            "ProducerRegistered",
            {
                "producer_id": producer.id,
                "name": name,
                "sector": sector,
                "home_village_id": home_village_id,
                "language": language,
                "contacts": {"email": email, "phone": phone, "webhook_url": webhook_url},
            },
            village_id=home_village_id,
        ),
    )
    return producer


def register_product(
    *,
    session: Session,
    producer_id: uuid.UUID,
    name: str,
    sector: str | None,
    unit: str,
    price: Decimal,
    vat_rate: Decimal,
    mountain_product: bool,
    barcode: str | None,
    reorder_threshold: Decimal,
) -> Product:
    """Add a producer's product to the catalogue."""
    producer = session.get(Producer, producer_id)
    if producer is None:
        raise NotFound("producer_id", "producer")
    if barcode is not None and session.scalar(sa.select(Product.id).where(Product.barcode == barcode)):
        raise Conflict("barcode", "Another product already has this barcode.")
    product = Product(
        id=uuid.uuid4(),
        producer_id=producer_id,
        name=name,
        sector=sector or producer.sector,
        unit=unit,
        price=price,
        vat_rate=vat_rate,
        mountain_product=mountain_product,
        barcode=barcode,
        reorder_threshold=reorder_threshold,
    )
    session.add(product)
    session.flush()
    publish(
        session,
        _event(
            "ProductRegistered",
            {
                "product_id": product.id,
                "producer_id": producer_id,
                "name": name,
                "sector": product.sector,
                "unit": unit,
                "price": price,
                "vat_rate": vat_rate,
                "mountain_product": mountain_product,
                "barcode": barcode,
                "reorder_threshold": reorder_threshold,
            },
        ),
    )
    return product


# -- stock --------------------------------------------------------------------------------------


def _lock_stock(session: Session, place: SellingPlace, products: list[Product]) -> dict[uuid.UUID, Stock]:
    """The stock rows of `products` at `place`, created if missing, locked in primary-key order."""
    insert_ignoring_conflicts(
        session,
        Stock.__table__,
        [
            {
                "selling_place_id": place.id,
                "product_id": product.id,
                "on_hand": Decimal(0),
                "reorder_threshold": product.reorder_threshold,
                "low_armed": False,
                "low_crossings": 0,
                "out_crossings": 0,
            }
            for product in sorted(products, key=lambda p: p.id)
        ],
    )
    rows = session.scalars(
        sa.select(Stock)
        .where(Stock.selling_place_id == place.id, Stock.product_id.in_([p.id for p in products]))
        .order_by(Stock.product_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {row.product_id: row for row in rows}


def _level(stock: Stock) -> domain.Level:
    return domain.Level(
        on_hand=stock.on_hand,
        threshold=stock.reorder_threshold,
        target_level=stock.target_level,
        low_armed=stock.low_armed,
        low_crossings=stock.low_crossings,
        out_crossings=stock.out_crossings,
    )


def _apply_movement(
    session: Session,
    *,
    place: SellingPlace,
    product: Product,
    stock: Stock,
    quantity: Decimal,
    cause: str,
    reference: uuid.UUID | None,
    event_id: uuid.UUID | None = None,
) -> list[Event]:
    """Write one ledger line, update the stock it sums to, and return the alerts it raises."""
    level, signals = domain.move(_level(stock), quantity)
    stock.on_hand = level.on_hand
    stock.low_armed = level.low_armed
    stock.low_crossings = level.low_crossings
    stock.out_crossings = level.out_crossings
    session.add(
        StockMovement(
            selling_place_id=place.id,
            product_id=product.id,
            quantity=quantity,
            cause=cause,
            reference=reference,
            event_id=event_id,
        )
    )
    base = {
        "selling_place_id": place.id,
        "product_id": product.id,
        "producer_id": product.producer_id,
        "on_hand": level.on_hand,
    }
    envelope = {"selling_place_id": place.id, "village_id": place.village_id}
    events = []
    for signal in signals:
        if signal is domain.Signal.LOW:
            data = {
                **base,
                "threshold": level.threshold,
                "crossing": level.low_crossings,
                "suggested_quantity": level.suggested_quantity,
            }
        elif signal is domain.Signal.OUT:
            data = {**base, "crossing": level.out_crossings}
        else:
            data = base
        events.append(_event(signal.value, data, **envelope))
    return events


def restock(
    *, session: Session, selling_place_id: uuid.UUID, delivery_id: uuid.UUID | None, lines: list[dict]
) -> tuple[uuid.UUID, list[Stock], bool]:
    """Record a delivery of goods to a selling place; the same delivery id twice is recorded once.

    Returns the delivery id, the stock rows it touched, and whether it was new.
    """
    place = session.get(SellingPlace, selling_place_id)
    if place is None:
        raise NotFound("selling_place_id", "selling place")
    delivery_id = delivery_id or uuid.uuid4()
    products = _products(session, [line["product_id"] for line in lines], field="lines")
    stocks = _lock_stock(session, place, list(products.values()))
    already = session.scalar(
        sa.select(sa.func.count())
        .select_from(StockMovement)
        .where(StockMovement.reference == delivery_id, StockMovement.cause == "restock")
    )
    if already:
        return delivery_id, [stocks[line["product_id"]] for line in lines], False
    events = []
    for line in lines:
        product = products[line["product_id"]]
        stock = stocks[product.id]
        events += _apply_movement(
            session, place=place, product=product, stock=stock, quantity=line["quantity"], cause="restock", reference=delivery_id
        )
        events.append(
            _event(
                "StockRestocked",
                {
                    "selling_place_id": place.id,
                    "product_id": product.id,
                    "producer_id": product.producer_id,
                    "on_hand": stock.on_hand,
                    "delivery_id": delivery_id,
                    "quantity": line["quantity"],
                },
                selling_place_id=place.id,
                village_id=place.village_id,
            )
        )
    publish(session, *events)
    return delivery_id, [stocks[line["product_id"]] for line in lines], True


def _products(session: Session, ids: list[uuid.UUID], *, field: str) -> dict[uuid.UUID, Product]:
    found = {p.id: p for p in session.scalars(sa.select(Product).where(Product.id.in_(set(ids))))}
    for index, product_id in enumerate(ids):
        if product_id not in found:
            raise NotFound((field, index, "product_id"), "product")
    return found


def record_sale(*, session: Session, event: Event) -> None:
    """Take a recorded sale off the shelves of its selling place (consumer of SaleRecorded)."""
    sale = event.data
    place = session.get(SellingPlace, sale["selling_place_id"])
    lines = sale["lines"]
    known = {p.id: p for p in session.scalars(sa.select(Product).where(Product.id.in_({line["product_id"] for line in lines})))}
    if place is None:
        # A shop inventory has never heard of: keep every line for review rather than lose it.
        known = {}
    unmatched = [line for line in lines if line["product_id"] not in known]
    for line in unmatched:
        session.add(
            UnmatchedSaleLine(
                event_id=event.event_id,
                line_no=line["line_no"],
                selling_place_id=sale["selling_place_id"],
                product_id=line["product_id"],
                quantity=line["quantity"],
            )
        )
    matched = [line for line in lines if line["product_id"] in known]
    if not matched:
        return
    stocks = _lock_stock(session, place, list({line["product_id"]: known[line["product_id"]] for line in matched}.values()))
    events = []
    for line in matched:
        product = known[line["product_id"]]
        events += _apply_movement(
            session,
            place=place,
            product=product,
            stock=stocks[product.id],
            quantity=-line["quantity"],
            cause="sale",
            reference=sale["receipt_id"],
            event_id=event.event_id,
        )
    publish(session, *events)


def set_threshold(
    *,
    session: Session,
    selling_place_id: uuid.UUID,
    product_id: uuid.UUID,
    reorder_threshold: Decimal,
    target_level: Decimal | None,
) -> Stock:
    """Set the reorder threshold and target level of one product at one selling place."""
    place = session.get(SellingPlace, selling_place_id)
    if place is None:
        raise NotFound("selling_place_id", "selling place")
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("product_id", "product")
    stock = _lock_stock(session, place, [product])[product.id]
    stock.reorder_threshold = reorder_threshold
    stock.target_level = target_level
    stock.low_armed = stock.on_hand > reorder_threshold
    return stock


def stock_of(*, session: Session, selling_place_id: uuid.UUID) -> list[Stock]:
    """Every product's stock at one selling place."""
    if session.get(SellingPlace, selling_place_id) is None:
        raise NotFound("selling_place_id", "selling place")
    return list(session.scalars(sa.select(Stock).where(Stock.selling_place_id == selling_place_id).order_by(Stock.product_id)))


def ledger(*, session: Session, selling_place_id: uuid.UUID, product_id: uuid.UUID) -> list[StockMovement]:
    """The movements of one product at one selling place, oldest first."""
    return list(
        session.scalars(
            sa.select(StockMovement)
            .where(StockMovement.selling_place_id == selling_place_id, StockMovement.product_id == product_id)
            .order_by(StockMovement.id)
        )
    )
