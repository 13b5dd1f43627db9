"""Who may read what in reporting: every figure is limited, in SQL, to the caller's own scope.

A province analyst reads the whole network's figures and writes nothing; a village operator reads
the figures of their village's selling places; a producer their own sales, figures and statements.
The limit is one more condition in the WHERE clause of every query, so a filter naming someone
else's id finds nothing and an object outside the caller's scope does not exist for them (404).
An export and its file belong to the key that asked for it, with the scope it was made in.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from backbone.auth import ADMINISTRATOR, PRODUCER, PROVINCE_ANALYST, VILLAGE_OPERATOR, Principal
from services.reporting.models import DailyProducerSales, ExportJob, Statement

#: the roles that read the figures of the whole network
NETWORK_READERS = (ADMINISTRATOR, PROVINCE_ANALYST)

Scope = tuple[str, uuid.UUID] | None


def reads_network(principal: Principal) -> bool:
    """Whether the caller reads the whole network's figures (administrators and province analysts)."""
    return principal.role in NETWORK_READERS


def report_scope(principal: Principal) -> Scope:
    """The report dimension the caller's figures are limited to, and its id; None for the whole network."""
    if reads_network(principal):
        return None
    if principal.role == VILLAGE_OPERATOR:
        return ("village", principal.village_id)
    if principal.role == PRODUCER:
        return ("producer", principal.producer_id)
    # clerks and managers: their own selling place (no reporting route lets them in today)
    return ("selling_place", principal.selling_place_id)


def daily_rows(principal: Principal, group_by: str) -> sa.ColumnElement[bool]:
    """The rows of a daily table (per producer or per sector) the caller may read, as a WHERE condition."""
    if reads_network(principal):
        return sa.true()
    if principal.role == PRODUCER and group_by == "producer":
        return DailyProducerSales.producer_id == principal.producer_id
    # a sector's day mixes every producer's sales: only the network's readers see it
    return sa.false()


def statements(principal: Principal) -> sa.ColumnElement[bool]:
    """The settlement statements the caller may read, as a WHERE condition."""
    if reads_network(principal):
        return sa.true()
    if principal.role == PRODUCER:
        return Statement.producer_id == principal.producer_id
    return sa.false()


def may_read_producer(principal: Principal, producer_id: uuid.UUID) -> bool:
    """Whether the caller may read a producer's own views (/producers/{id}/...): theirs, or any for the network's readers."""
    if reads_network(principal):
        return True
    return principal.role == PRODUCER and principal.producer_id == producer_id


def export_owner(principal: Principal) -> dict:
    """The columns that make an export the caller's: their key and the scope its report is limited to."""
    scope = report_scope(principal)
    return {
        "requested_by": principal.key_id,
        "scope_dimension": scope[0] if scope else None,
        "scope_id": scope[1] if scope else None,
    }


def exports(principal: Principal) -> sa.ColumnElement[bool]:
    """The exports the caller may see: those they asked for, in the scope they have now; every one for administrators."""
    if principal.role == ADMINISTRATOR:
        return sa.true()
    owner = export_owner(principal)
    return sa.and_(
        ExportJob.requested_by == owner["requested_by"],
        ExportJob.scope_dimension.is_not_distinct_from(owner["scope_dimension"]),
        ExportJob.scope_id.is_not_distinct_from(owner["scope_id"]),
    )


def export_scope(job: ExportJob) -> Scope:
    """The scope an export's report is limited to (that of whoever asked for it)."""
    return (job.scope_dimension, job.scope_id) if job.scope_dimension else None
