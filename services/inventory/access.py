"""Who may see and change what in inventory: the caller's scope as SQL WHERE conditions.

A clerk or manager sees their selling place, its stock and the catalogue it sells (the products on
its shelves, and their producers); a producer sees themselves, their products, their stock in every
selling place and the places that hold it; a village operator sees their village, its selling places
and their stock, the producers whose home village it is with their products, and the other producers
whose goods are on their shelves; a province analyst and an administrator see everything. A row
outside the caller's scope does not exist for them (404).

Changing is narrower: a manager writes the stock documents and thresholds of their own place; a
village operator those of their village's places, and the producers of their village with their
products; an administrator everything.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from backbone.auth import ADMINISTRATOR, CLERK, MANAGER, PRODUCER, PROVINCE_ANALYST, VILLAGE_OPERATOR, Principal
from services.inventory.models import Producer, Product, SellingPlace, Stock, StockDocument, Village

#: roles that see the whole network
EVERYTHING = (ADMINISTRATOR, PROVINCE_ANALYST)
AT_A_PLACE = (CLERK, MANAGER)


class Forbidden(Exception):
    """A write names another tenant's village, producer or product: answered 403 with `message`."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _places_of_village(principal: Principal):
    return sa.select(SellingPlace.id).where(SellingPlace.village_id == principal.village_id)


def _products_of_producer(principal: Principal):
    return sa.select(Product.id).where(Product.producer_id == principal.producer_id)


def _places_holding_goods_of(principal: Principal):
    return sa.select(Stock.selling_place_id).where(Stock.product_id.in_(_products_of_producer(principal)))


def _stocked_products(where):
    return sa.select(Stock.product_id).where(where)


# -- what the caller may read ----------------------------------------------------------------------


def villages(principal: Principal):
    """The villages the caller may see: an operator's own, a place's own, those a producer is at home or sells in."""
    if principal.role in EVERYTHING:
        return sa.true()
    if principal.role == VILLAGE_OPERATOR:
        return Village.id == principal.village_id
    if principal.role in AT_A_PLACE:
        return Village.id.in_(sa.select(SellingPlace.village_id).where(SellingPlace.id == principal.selling_place_id))
    if principal.role == PRODUCER:
        home = sa.select(Producer.home_village_id).where(Producer.id == principal.producer_id)
        selling_in = sa.select(SellingPlace.village_id).where(SellingPlace.id.in_(_places_holding_goods_of(principal)))
        return sa.or_(Village.id.in_(home), Village.id.in_(selling_in))
    return sa.false()


def selling_places(principal: Principal):
    """The selling places the caller may see: an operator's village's, a clerk's own, those holding a producer's goods."""
    if principal.role in EVERYTHING:
        return sa.true()
    if principal.role == VILLAGE_OPERATOR:
        return SellingPlace.village_id == principal.village_id
    if principal.role in AT_A_PLACE:
        return SellingPlace.id == principal.selling_place_id
    if principal.role == PRODUCER:
        return SellingPlace.id.in_(_places_holding_goods_of(principal))
    return sa.false()


def producers(principal: Principal):
    """The producers the caller may see: oneself, a village's own and those selling there, those a place sells."""
    if principal.role in EVERYTHING:
        return sa.true()
    if principal.role == PRODUCER:
        return Producer.id == principal.producer_id
    if principal.role == VILLAGE_OPERATOR:
        selling_here = sa.select(Product.producer_id).where(
            Product.id.in_(_stocked_products(Stock.selling_place_id.in_(_places_of_village(principal))))
        )
        return sa.or_(Producer.home_village_id == principal.village_id, Producer.id.in_(selling_here))
    if principal.role in AT_A_PLACE:
        selling_here = sa.select(Product.producer_id).where(
            Product.id.in_(_stocked_products(Stock.selling_place_id == principal.selling_place_id))
        )
        return Producer.id.in_(selling_here)
    return sa.false()


def products(principal: Principal):
    """The products the caller may see: one's own, a village's producers' and those on its shelves, a place's."""
    if principal.role in EVERYTHING:
        return sa.true()
    if principal.role == PRODUCER:
        return Product.producer_id == principal.producer_id
    if principal.role == VILLAGE_OPERATOR:
        of_village = sa.select(Producer.id).where(Producer.home_village_id == principal.village_id)
        on_shelves = _stocked_products(Stock.selling_place_id.in_(_places_of_village(principal)))
        return sa.or_(Product.producer_id.in_(of_village), Product.id.in_(on_shelves))
    if principal.role in AT_A_PLACE:
        return Product.id.in_(_stocked_products(Stock.selling_place_id == principal.selling_place_id))
    return sa.false()


def stock(principal: Principal):
    """The stock rows the caller may see: a place's, a village's places', a producer's own goods wherever they are."""
    if principal.role in EVERYTHING:
        return sa.true()
    if principal.role == PRODUCER:
        return Stock.product_id.in_(_products_of_producer(principal))
    if principal.role == VILLAGE_OPERATOR:
        return Stock.selling_place_id.in_(_places_of_village(principal))
    if principal.role in AT_A_PLACE:
        return Stock.selling_place_id == principal.selling_place_id
    return sa.false()


def stock_documents(principal: Principal):
    """The deliveries, adjustments, stocktakes and transfers the caller may see: those of the places they manage."""
    if principal.role in EVERYTHING:
        return sa.true()
    return StockDocument.selling_place_id.in_(sa.select(SellingPlace.id).where(managed_places(principal)))


# -- what the caller may change --------------------------------------------------------------------


def managed_places(principal: Principal):
    """The selling places whose stock documents and thresholds the caller may write."""
    if principal.role == ADMINISTRATOR:
        return sa.true()
    if principal.role == VILLAGE_OPERATOR:
        return SellingPlace.village_id == principal.village_id
    if principal.role == MANAGER:
        return SellingPlace.id == principal.selling_place_id
    return sa.false()


def managed_producers(principal: Principal):
    """The producers whose details and products the caller may change: a village operator's are those at home there."""
    if principal.role == ADMINISTRATOR:
        return sa.true()
    if principal.role == VILLAGE_OPERATOR:
        return Producer.home_village_id == principal.village_id
    return sa.false()


def managed_products(principal: Principal):
    """The products whose price and retirement the caller may change: those of the producers they manage."""
    if principal.role == ADMINISTRATOR:
        return sa.true()
    return Product.producer_id.in_(sa.select(Producer.id).where(managed_producers(principal)))


def own_village(principal: Principal, body: dict, field: str) -> None:
    """Make a village operator's write name their own village: filled in when left out, Forbidden if another.

    Only the fields the body carries are looked at (a partial change may not name the village at all).
    """
    if principal.role != VILLAGE_OPERATOR or field not in body:
        return
    if body[field] is None:
        body[field] = principal.village_id
    elif body[field] != principal.village_id:
        raise Forbidden(f"A village operator works in their own village only: {field} must be theirs.")


def scope_village(principal: Principal) -> uuid.UUID | None:
    """The village a caller's imports must stay in: None for an administrator, Forbidden for a role without one."""
    if principal.role == ADMINISTRATOR:
        return None
    if principal.role == VILLAGE_OPERATOR:
        return principal.village_id
    raise Forbidden("Only administrators and village operators import the catalogue.")
