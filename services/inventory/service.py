"""Inventory's catalogue use cases: keyword-only functions that change villages, selling places,
producers and products, and write the events that describe each change into the outbox, in the
caller's transaction. Stock use cases live in `stock.py`."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backbone.db import utcnow
from backbone.events import Event, new_event
from backbone.outbox import publish
from services.inventory.models import Producer, Product, ProductPrice, SellingPlace, Village

SOURCE = "inventory"

#: a price may take effect this far in the past, for a clock that runs a little behind ours
PRICE_CLOCK_TOLERANCE = timedelta(minutes=5)


class NotFound(Exception):
    """A referenced object does not exist; `field` names where it was referenced."""

    def __init__(self, field: str | tuple, what: str):
        super().__init__(f"unknown {what}")
        self.field = field
        self.what = what
        self.message = f"Unknown {what}."


class Conflict(Exception):
    """The request clashes with existing data; `field` names the clashing field."""

    def __init__(self, field: str | tuple, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class Invalid(Exception):
    """The request is well-formed but breaks a rule of the domain; `field` names where."""

    def __init__(self, field: str | tuple, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def event(type: str, data: dict, **envelope) -> Event:
    """An event of inventory's, checked against the contract."""
    return new_event(type, data, source=SOURCE, **envelope)


# -- villages and selling places ------------------------------------------------------------------


def register_village(*, session: Session, name: str, istat_code: str, province: str, population: int) -> Village:
    """Add a village to the network."""
    if session.scalar(sa.select(Village.id).where(Village.istat_code == istat_code)):
        raise Conflict("istat_code", "A village with this ISTAT code is already in the network.")
    village = Village(id=uuid.uuid4(), name=name, istat_code=istat_code, province=province, population=population)
    session.add(village)
    session.flush()
    publish(
        session,
        event(
            "VillageRegistered",
            {"village_id": village.id, "name": name, "istat_code": istat_code, "province": province, "population": population},
            village_id=village.id,
        ),
    )
    return village


def villages(*, session: Session, istat_code: str | None = None, visible=sa.true()) -> list[Village]:
    """The network's villages the caller may see (`visible`), by name, or the one with `istat_code`."""
    query = sa.select(Village).where(visible).order_by(Village.name)
    if istat_code is not None:
        query = query.where(Village.istat_code == istat_code)
    return list(session.scalars(query))


def register_selling_place(
    *,
    session: Session,
    village_id: uuid.UUID,
    name: str,
    address: str | None,
    timezone: str,
    commission_rate: Decimal,
    opening_hours: dict | None = None,
) -> SellingPlace:
    """Open a selling place in a village."""
    if session.get(Village, village_id) is None:
        raise NotFound("village_id", "village")
    place = SellingPlace(
        id=uuid.uuid4(),
        village_id=village_id,
        name=name,
        address=address,
        timezone=timezone,
        commission_rate=commission_rate,
        opening_hours=opening_hours,
    )
    session.add(place)
    session.flush()
    publish(
        session,
        event(
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


def selling_places(*, session: Session, village_id: uuid.UUID | None = None, visible=sa.true()) -> list[SellingPlace]:
    """The selling places the caller may see (`visible`) by name, or those of one village."""
    query = sa.select(SellingPlace).where(visible).order_by(SellingPlace.name, SellingPlace.id)
    if village_id is not None:
        query = query.where(SellingPlace.village_id == village_id)
    return list(session.scalars(query))


# -- producers ------------------------------------------------------------------------------------

#: the producer's details a caller may set; everything else is kept by inventory
PRODUCER_FIELDS = (
    "name",
    "sector",
    "home_village_id",
    "language",
    "email",
    "phone",
    "webhook_url",
    "telegram_chat_id",
    "vat_number",
    "tax_regime",
    "iban",
    "lead_time_days",
)


def _producer_event(type: str, producer: Producer) -> Event:
    return event(
        type,
        {
            "producer_id": producer.id,
            "revision": producer.revision,
            "name": producer.name,
            "sector": producer.sector,
            "home_village_id": producer.home_village_id,
            "language": producer.language,
            "contacts": {
                "email": producer.email,
                "phone": producer.phone,
                "webhook_url": producer.webhook_url,
                "telegram_chat_id": producer.telegram_chat_id,
            },
            "vat_number": producer.vat_number,
            "tax_regime": producer.tax_regime,
            "iban": producer.iban,
            "lead_time_days": producer.lead_time_days,
        },
        village_id=producer.home_village_id,
    )


def _check_producer(session: Session, details: dict, *, producer_id: uuid.UUID | None = None) -> None:
    home = details.get("home_village_id")
    if home is not None and session.get(Village, home) is None:
        raise NotFound("home_village_id", "village")
    vat_number = details.get("vat_number")
    if vat_number is not None:
        holder = session.scalar(sa.select(Producer.id).where(Producer.vat_number == vat_number))
        if holder is not None and holder != producer_id:
            raise Conflict("vat_number", "Another producer is registered with this VAT number.")


def register_producer(
    *,
    session: Session,
    name: str,
    sector: str,
    home_village_id: uuid.UUID | None = None,
    language: str = "it",
    email: str | None = None,
    phone: str | None = None,
    webhook_url: str | None = None,
    telegram_chat_id: str | None = None,
    vat_number: str | None = None,
    tax_regime: str = "ordinary",
    iban: str | None = None,
    lead_time_days: int = 3,
) -> Producer:
    """Register a producer: one identity across every village they sell in."""
    details = {
        "name": name,
        "sector": sector,
        "home_village_id": home_village_id,
        "language": language,
        "email": email,
        "phone": phone,
        "webhook_url": webhook_url,
        "telegram_chat_id": telegram_chat_id,
        "vat_number": vat_number,
        "tax_regime": tax_regime,
        "iban": iban,
        "lead_time_days": lead_time_days,
    }
    _check_producer(session, details)
    producer = Producer(id=uuid.uuid4(), revision=1, **details)
    session.add(producer)
    session.flush()
    publish(session, _producer_event("ProducerRegistered", producer))
    return producer


def update_producer(*, session: Session, producer_id: uuid.UUID, changes: dict) -> Producer:
    """Change a producer's details; if anything changed, publish the whole new state with the next revision."""
    producer = session.get(Producer, producer_id, with_for_update=True, populate_existing=True)
    if producer is None:
        raise NotFound("producer_id", "producer")
    _check_producer(session, changes, producer_id=producer_id)
    changed = {key: value for key, value in changes.items() if getattr(producer, key) != value}
    if not changed:
        return producer
    for key, value in changed.items():
        setattr(producer, key, value)
    producer.revision += 1
    session.flush()
    publish(session, _producer_event("ProducerUpdated", producer))
    return producer


def producers(
    *,
    session: Session,
    village_id: uuid.UUID | None = None,
    sector: str | None = None,
    vat_number: str | None = None,
    visible=sa.true(),
) -> list[Producer]:
    """The producers the caller may see (`visible`) by name, optionally of one home village, sector or VAT number."""
    query = sa.select(Producer).where(visible).order_by(Producer.name, Producer.id)
    if village_id is not None:
        query = query.where(Producer.home_village_id == village_id)
    if sector is not None:
        query = query.where(Producer.sector == sector)
    if vat_number is not None:
        query = query.where(Producer.vat_number == vat_number)
    return list(session.scalars(query))


# -- products and prices --------------------------------------------------------------------------


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
    sku: str | None = None,
) -> Product:
    """Add a producer's product to the catalogue, at its first price from now on."""
    producer = session.get(Producer, producer_id)
    if producer is None:
        raise NotFound("producer_id", "producer")
    if barcode is not None and session.scalar(sa.select(Product.id).where(Product.barcode == barcode)):
        raise Conflict("barcode", "Another product already has this barcode.")
    if sku is not None and session.scalar(sa.select(Product.id).where(Product.sku == sku)):
        raise Conflict("sku", "Another product already has this SKU.")
    now = utcnow()
    product = Product(
        id=uuid.uuid4(),
        producer_id=producer_id,
        name=name,
        sector=sector or producer.sector,
        unit=unit,
        vat_rate=vat_rate,
        mountain_product=mountain_product,
        barcode=barcode,
        sku=sku,
        reorder_threshold=reorder_threshold,
        active=True,
        created_at=now,
    )
    session.add(product)
    session.flush()
    session.add(ProductPrice(product_id=product.id, effective_from=now, price=price, created_at=now))
    publish(
        session,
        event(
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
                "sku": sku,
                "reorder_threshold": reorder_threshold,
            },
        ),
    )
    return product


def change_price(
    *, session: Session, product_id: uuid.UUID, price: Decimal, effective_from: datetime | None = None
) -> ProductPrice:
    """Set a product's price from `effective_from` on (now if not given); never in the past."""
    product = session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound("product_id", "product")
    if not product.active:
        raise Conflict("product_id", "This product is retired: its price no longer changes.")
    now = utcnow()
    effective_from = effective_from or now
    if effective_from < now - PRICE_CLOCK_TOLERANCE:
        raise Invalid("effective_from", "A price cannot change in the past: sales were charged the price then in effect.")
    if session.get(ProductPrice, (product_id, effective_from)) is not None:
        raise Conflict("effective_from", "This product already has a price change at this moment.")
    previous = session.scalar(
        sa.select(ProductPrice.price)
        .where(ProductPrice.product_id == product_id, ProductPrice.effective_from < effective_from)
        .order_by(ProductPrice.effective_from.desc())
        .limit(1)
    )
    if previous is None:
        raise Invalid("effective_from", "The product was not yet in the catalogue then.")
    if previous == price:
        raise Invalid("price", "This is already the price at that moment.")
    change = ProductPrice(product_id=product_id, effective_from=effective_from, price=price, created_at=now)
    session.add(change)
    publish(
        session,
        event(
            "PriceChanged",
            {
                "product_id": product_id,
                "producer_id": product.producer_id,
                "price": price,
                "previous_price": previous,
                "effective_from": effective_from,
            },
        ),
    )
    return change


def price_history(*, session: Session, product_id: uuid.UUID) -> list[ProductPrice]:
    """Every price of a product, oldest first, including those still to take effect."""
    return list(
        session.scalars(
            sa.select(ProductPrice).where(ProductPrice.product_id == product_id).order_by(ProductPrice.effective_from)
        )
    )


def prices_at(session: Session, product_ids, moment: datetime | None = None) -> dict[uuid.UUID, Decimal]:
    """The price of each product in effect at `moment` (now if not given)."""
    ids = set(product_ids)
    if not ids:
        return {}
    moment = moment or utcnow()
    latest = (
        sa.select(ProductPrice.product_id, sa.func.max(ProductPrice.effective_from).label("effective_from"))
        .where(ProductPrice.product_id.in_(ids), ProductPrice.effective_from <= moment)
        .group_by(ProductPrice.product_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(ProductPrice.product_id, ProductPrice.price).join(
            latest,
            sa.and_(ProductPrice.product_id == latest.c.product_id, ProductPrice.effective_from == latest.c.effective_from),
        )
    )
    return dict(rows.all())


def retire_product(*, session: Session, product_id: uuid.UUID) -> Product:
    """Stop selling a product (its history and the goods still on shelves stay); retiring twice changes nothing."""
    product = session.get(Product, product_id, with_for_update=True, populate_existing=True)
    if product is None:
        raise NotFound("product_id", "product")
    if product.active:
        product.active = False
        product.retired_at = utcnow()
        publish(session, event("ProductRetired", {"product_id": product.id, "producer_id": product.producer_id}))
    return product


def products(
    *,
    session: Session,
    barcode: str | None = None,
    sku: str | None = None,
    producer_id: uuid.UUID | None = None,
    active: bool | None = None,
    visible=sa.true(),
) -> list[Product]:
    """The products the caller may see (`visible`) by name, found by barcode, SKU, producer or whether still sold."""
    query = sa.select(Product).where(visible).order_by(Product.name, Product.id)
    if barcode is not None:
        query = query.where(Product.barcode == barcode)
    if sku is not None:
        query = query.where(Product.sku == sku)
    if producer_id is not None:
        query = query.where(Product.producer_id == producer_id)
    if active is not None:
        query = query.where(Product.active == active)
    return list(session.scalars(query))


def as_dict(row) -> dict:
    """A model object's columns as a plain dict, readable after its session is gone."""
    return {name: getattr(row, name) for name in type(row).__table__.columns.keys()}


def priced(session: Session, products: list[Product]) -> list[dict]:
    """Products as the API shows them: their columns and the price in effect now."""
    prices = prices_at(session, [p.id for p in products])
    return [{**as_dict(p), "price": prices.get(p.id)} for p in products]
