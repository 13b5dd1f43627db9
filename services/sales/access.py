"""Who may see and do what in sales: a till records sales for its own selling place only.

Clerks and managers act for the selling place in their token; village operators for the selling
places of their village; administrators for all. A receipt, refund or day of another selling place
does not exist for the caller (404). A receipt naming another selling place than the token's is
refused (403): the selling place comes from the token, never from the request.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask_smorest import abort
from sqlalchemy.orm import Session

from backbone.auth import ADMINISTRATOR, CLERK, MANAGER, VILLAGE_OPERATOR, Principal
from services.sales.models import CatalogueSellingPlace

TILL_ROLES = (CLERK, MANAGER)


def places(principal: Principal, column):
    """A WHERE condition keeping the rows of the selling places the caller may see, by `column`."""
    if principal.role == ADMINISTRATOR:
        return sa.true()
    if principal.role in TILL_ROLES:
        return column == principal.selling_place_id
    if principal.role == VILLAGE_OPERATOR:
        village_places = sa.select(CatalogueSellingPlace.selling_place_id).where(
            CatalogueSellingPlace.village_id == principal.village_id
        )
        return column.in_(village_places)
    return sa.false()


def may_see_place(session: Session, principal: Principal, selling_place_id: uuid.UUID) -> bool:
    """Whether the caller may see the selling place's days and receipts."""
    if principal.role == ADMINISTRATOR:
        return True
    if principal.role in TILL_ROLES:
        return selling_place_id == principal.selling_place_id
    if principal.role == VILLAGE_OPERATOR:
        place = session.get(CatalogueSellingPlace, selling_place_id)
        return place is not None and place.village_id == principal.village_id
    return False


def selling_place_of_sale(principal: Principal, given: uuid.UUID | None) -> uuid.UUID | None:
    """The selling place a receipt is recorded for: the till's own; administrators name one."""
    if principal.role in TILL_ROLES:
        if given is not None and given != principal.selling_place_id:
            abort(403, message="This key records sales for its own selling place only.")
        return principal.selling_place_id
    return given
