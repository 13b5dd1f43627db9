"""Sales' own copy of the catalogue, kept from inventory's events, so the tills sell while inventory is down."""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backbone.db import upsert, utcnow
from services.sales.models import CataloguePrice, CatalogueProducer, CatalogueProduct, CatalogueSellingPlace

#: farm products, which a producer under the special agricultural regime sells without a fiscal document
FARM_SECTOR = "agri-food"
AGRICULTURAL_REGIME = "agricultural_special"


@dataclass
class Catalogue:
    """What sales knows of some products and selling places, read in a handful of queries."""

    products: dict[uuid.UUID, CatalogueProduct] = field(default_factory=dict)
    producers: dict[uuid.UUID, CatalogueProducer] = field(default_factory=dict)
    places: dict[uuid.UUID, CatalogueSellingPlace] = field(default_factory=dict)
    #: product -> (effective_from, price) ascending, from PriceChanged
    prices: dict[uuid.UUID, list[tuple[datetime, Decimal]]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, *, product_ids: Iterable[uuid.UUID], selling_place_ids: Iterable[uuid.UUID]) -> Catalogue:
        """The catalogue entries for these products (with their producers and prices) and selling places."""
        product_ids, selling_place_ids = set(product_ids), set(selling_place_ids)
        catalogue = cls()
        if product_ids:
            # the products with their producers in one round trip (a sale is on the hot path)
            rows = session.execute(
                sa.select(CatalogueProduct, CatalogueProducer)
                .outerjoin(CatalogueProducer, CatalogueProducer.producer_id == CatalogueProduct.producer_id)
                .where(CatalogueProduct.product_id.in_(product_ids))
            )
            for product, producer in rows:
                catalogue.products[product.product_id] = product
                if producer is not None:
                    catalogue.producers[producer.producer_id] = producer
            rows = session.execute(
                sa.select(CataloguePrice.product_id, CataloguePrice.effective_from, CataloguePrice.price)
                .where(CataloguePrice.product_id.in_(product_ids))
                .order_by(CataloguePrice.product_id, CataloguePrice.effective_from)
            )
            for product_id, effective_from, price in rows:
                catalogue.prices.setdefault(product_id, []).append((effective_from, price))
        if selling_place_ids:
            catalogue.places = {
                p.selling_place_id: p
                for p in session.scalars(
                    sa.select(CatalogueSellingPlace).where(CatalogueSellingPlace.selling_place_id.in_(selling_place_ids))
                )
            }
        return catalogue

    def price_at(self, product: CatalogueProduct, moment: datetime) -> Decimal:
        """The price in force at `moment`: the last change that took effect by then, else the registered one."""
        changes = self.prices.get(product.product_id)
        if changes:
            index = bisect.bisect_right(changes, moment, key=lambda change: change[0])
            if index:
                return changes[index - 1][1]
        return product.price

    def requires_fiscal_document(self, product: CatalogueProduct | None) -> bool:
        """Whether a sale of `product` needs a fiscal document; when in doubt it does."""
        if product is None or product.sector != FARM_SECTOR:
            return True
        producer = self.producers.get(product.producer_id)
        return producer is None or producer.tax_regime != AGRICULTURAL_REGIME


def as_seen_by_tills(catalogue: Catalogue, product: CatalogueProduct, now: datetime | None = None) -> dict:
    """A product as the tills see it: with the price in force now."""
    return {
        "product_id": product.product_id,
        "producer_id": product.producer_id,
        "name": product.name,
        "sector": product.sector,
        "unit": product.unit,
        "price": catalogue.price_at(product, now or utcnow()),
        "vat_rate": product.vat_rate,
        "mountain_product": product.mountain_product,
        "barcode": product.barcode,
        "retired": product.retired_at is not None,
    }


def find_products(
    *, session: Session, barcode: str | None, q: str | None, limit: int, include_retired: bool = False
) -> list[dict]:
    """Products by exact barcode and/or by a part of their name, with the price in force now."""
    query = sa.select(CatalogueProduct).order_by(CatalogueProduct.name).limit(limit)
    if barcode is not None:
        query = query.where(CatalogueProduct.barcode == barcode)
    if q is not None:
        query = query.where(CatalogueProduct.name.ilike(f"%{q}%"))
    if not include_retired:
        query = query.where(CatalogueProduct.retired_at.is_(None))
    products = list(session.scalars(query))
    catalogue = Catalogue.load(session, product_ids=[p.product_id for p in products], selling_place_ids=())
    return [as_seen_by_tills(catalogue, product) for product in products]


def get_product(*, session: Session, product_id: uuid.UUID) -> dict | None:
    """One product as the tills see it, or None if sales has not heard of it."""
    catalogue = Catalogue.load(session, product_ids=[product_id], selling_place_ids=())
    product = catalogue.products.get(product_id)
    return as_seen_by_tills(catalogue, product) if product else None


# -- kept from inventory's events ---------------------------------------------------------------


def keep_product(*, session: Session, data: dict) -> None:
    """Store or refresh a product from ProductRegistered."""
    upsert(
        session,
        CatalogueProduct.__table__,
        {
            "product_id": data["product_id"],
            "producer_id": data["producer_id"],
            "name": data["name"],
            "sector": data["sector"],
            "unit": data["unit"],
            "price": data["price"],
            "vat_rate": data["vat_rate"],
            "mountain_product": data["mountain_product"],
            "barcode": data["barcode"],
        },
        key=("product_id",),
    )


def keep_price(*, session: Session, data: dict) -> None:
    """Record a price from its `effective_from` on (PriceChanged); sales before it keep the old price."""
    upsert(
        session,
        CataloguePrice.__table__,
        {"product_id": data["product_id"], "effective_from": data["effective_from"], "price": data["price"]},
        key=("product_id", "effective_from"),
    )


def retire_product(*, session: Session, data: dict, retired_at: datetime) -> None:
    """Mark a product retired (ProductRetired): tills stop finding it, later sales of it are flagged."""
    session.execute(
        sa.update(CatalogueProduct)
        .where(CatalogueProduct.product_id == data["product_id"], CatalogueProduct.retired_at.is_(None))
        .values(retired_at=retired_at)
    )


def keep_producer(*, session: Session, data: dict) -> None:
    """Store a producer from ProducerRegistered / ProducerUpdated, unless a higher revision is already kept."""
    row = {
        "producer_id": data["producer_id"],
        "revision": data["revision"],
        "name": data["name"],
        "sector": data["sector"],
        "tax_regime": data["tax_regime"],
    }
    table = CatalogueProducer.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(row)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["producer_id"],
            set_={name: statement.excluded[name] for name in row if name != "producer_id"},
            where=statement.excluded.revision > table.c.revision,
        )
    )


def keep_selling_place(*, session: Session, data: dict) -> None:
    """Store or refresh a selling place from SellingPlaceRegistered."""
    upsert(
        session,
        CatalogueSellingPlace.__table__,
        {
            "selling_place_id": data["selling_place_id"],
            "village_id": data["village_id"],
            "name": data["name"],
            "timezone": data["timezone"],
        },
        key=("selling_place_id",),
    )
