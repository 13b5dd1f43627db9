"""Who may see and change what in notifications: rows are filtered by the caller's own scope.

A producer sees their own alerts, digests and preferences; a clerk or manager those of their
selling place; a village operator everything about the selling places and producers of their
village; administrators everything. A row outside the caller's scope does not exist for them (404).
"""

from __future__ import annotations

import sqlalchemy as sa

from backbone.auth import ADMINISTRATOR, CLERK, MANAGER, PRODUCER, VILLAGE_OPERATOR, Principal
from services.notifications.models import Alert, Delivery, Digest, Recipient


def _village_members(principal: Principal):
    return sa.select(Recipient.id).where(Recipient.village_id == principal.village_id)


def alerts(principal: Principal):
    """The alerts the caller may see, as a WHERE condition."""
    if principal.role == ADMINISTRATOR:
        return sa.true()
    if principal.role == PRODUCER:
        return Alert.producer_id == principal.producer_id
    if principal.role in (CLERK, MANAGER):
        return Alert.selling_place_id == principal.selling_place_id
    if principal.role == VILLAGE_OPERATOR:
        return Alert.selling_place_id.in_(_village_members(principal))
    return sa.false()


def deliveries(principal: Principal):
    """The deliveries the caller may see: those of visible alerts, and of recipients in their village."""
    if principal.role == ADMINISTRATOR:
        return sa.true()
    condition = Delivery.alert_id.in_(sa.select(Alert.id).where(alerts(principal)))
    if principal.role == VILLAGE_OPERATOR:
        condition = sa.or_(condition, Delivery.recipient_id.in_(_village_members(principal)))
    return condition


def digests(principal: Principal):
    """The digests the caller may see."""
    if principal.role == ADMINISTRATOR:
        return sa.true()
    if principal.role == PRODUCER:
        return Digest.recipient_id == principal.producer_id
    if principal.role == VILLAGE_OPERATOR:
        return Digest.recipient_id.in_(_village_members(principal))
    return sa.false()


def may_manage(principal: Principal, recipient: Recipient) -> bool:
    """Whether the caller may read and change this recipient's preferences."""
    if principal.role == ADMINISTRATOR:
        return True
    if principal.role == VILLAGE_OPERATOR:
        return recipient.village_id is not None and recipient.village_id == principal.village_id
    if recipient.kind == "producer":
        return principal.role == PRODUCER and recipient.id == principal.producer_id
    return principal.role in (CLERK, MANAGER) and recipient.id == principal.selling_place_id
