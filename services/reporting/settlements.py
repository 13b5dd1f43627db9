"""Producer settlement statements: monthly, immutable once issued, late lines settled as adjustments.

A statement for month M settles every sale and refund line of the producer dated up to the end of
M that no earlier statement settled: the primary key of `statement_line` lets a line be settled
once only, so a sale that arrives after its month's statement lands in the next statement, marked
as an adjustment. The commission is each line's, at its selling place's rate (half-up to the
cent); the VAT on the commission is computed on the statement's total commission.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy.orm import Session

from backbone.db import utcnow
from services.reporting.models import (
    UNATTRIBUTED_PRODUCER,
    Producer,
    RefundLineFact,
    SaleLineFact,
    Statement,
    StatementLine,
)
from services.reporting.periods import month_end
from services.reporting.reports import COMMISSION_VAT_RATE, round_cent

ZERO = Decimal("0")


class MonthNotOver(ValueError):
    """Statements are issued only for months that have ended."""


def _unsettled(session: Session, table, document, kind: str, last_day: date, producers=None):
    settled = sa.and_(StatementLine.kind == kind, StatementLine.document_id == document, StatementLine.line_no == table.line_no)
    query = (
        sa.select(table, document.label("document_id"))
        .outerjoin(StatementLine, settled)
        .where(
            StatementLine.statement_id.is_(None),
            table.business_date <= last_day,
            table.producer_id != UNATTRIBUTED_PRODUCER,
            # a line whose selling place (its commission rate) is still unknown waits for it
            table.commission_rate.is_not(None),
        )
    )
    if producers is not None:
        query = query.where(table.producer_id.in_(producers))
    return session.execute(query).all()


def issue_statements(*, session: Session, month: date, today: date, producers=None) -> list[Statement]:
    """Issue month's statement of every producer with unsettled lines up to its end; returns those issued."""
    last_day = month_end(month)
    if last_day >= today:
        raise MonthNotOver(f"{month:%Y-%m} is not over yet")
    lines: dict = defaultdict(list)
    for fact, document_id in _unsettled(session, SaleLineFact, SaleLineFact.receipt_id, "sale", last_day, producers):
        lines[fact.producer_id].append(("sale", document_id, fact))
    for fact, document_id in _unsettled(session, RefundLineFact, RefundLineFact.refund_id, "refund", last_day, producers):
        lines[fact.producer_id].append(("refund", document_id, fact))
    if not lines:
        return []
    newest = dict(
        session.execute(
            sa.select(Statement.producer_id, sa.func.max(Statement.month_start))
            .where(Statement.producer_id.in_(lines))
            .group_by(Statement.producer_id)
        ).all()
    )
    names = {p.producer_id: p for p in session.scalars(sa.select(Producer).where(Producer.producer_id.in_(lines)))}
    issued = []
    for producer_id in sorted(lines):
        if newest.get(producer_id) and newest[producer_id] >= month:
            continue  # already settled for this month (or a later one): later lines wait for the next
        issued.append(_issue(session, producer_id, month, lines[producer_id], names.get(producer_id)))
    return issued


def _issue(session: Session, producer_id: uuid.UUID, month: date, lines: list, producer: Producer | None) -> Statement:
    sales = [fact for kind, _, fact in lines if kind == "sale"]
    refunds = [fact for kind, _, fact in lines if kind == "refund"]
    commission = sum((f.commission for f in sales), ZERO) - sum((f.commission for f in refunds), ZERO)
    commission_vat = round_cent(commission * COMMISSION_VAT_RATE / 100)
    gross = sum((f.gross for f in sales), ZERO)
    refunded = sum((f.gross for f in refunds), ZERO)
    statement = Statement(
        statement_id=uuid.uuid4(),
        producer_id=producer_id,
        month_start=month,
        issued_at=utcnow(),
        producer_name=producer.name if producer else str(producer_id),
        iban=producer.iban if producer else None,
        gross=gross,
        vat=sum((f.vat for f in sales), ZERO) - sum((f.vat for f in refunds), ZERO),
        refunded_gross=refunded,
        commission=commission,
        commission_vat=commission_vat,
        payout=gross - refunded - commission - commission_vat,
        lines=len(lines),
        adjustments=sum(1 for *_, fact in lines if fact.business_date < month),
    )
    session.add(statement)
    session.flush()
    session.execute(
        sa.insert(StatementLine),
        [
            {
                "kind": kind,
                "document_id": document_id,
                "line_no": fact.line_no,
                "statement_id": statement.statement_id,
                "adjustment": fact.business_date < month,
                "business_date": fact.business_date,
                "selling_place_id": fact.selling_place_id,
                "product_id": fact.product_id,
                "quantity": fact.quantity,
                "gross": fact.gross,
                "vat_rate": fact.vat_rate,
                "vat": fact.vat,
                "commission_rate": fact.commission_rate,
                "commission": fact.commission,
            }
            for kind, document_id, fact in sorted(lines, key=lambda x: (x[2].business_date, x[0], str(x[1]), x[2].line_no))
        ],
    )
    return statement


def statements(
    *, session: Session, month: date | None = None, producer_id: uuid.UUID | None = None, visible=sa.true()
) -> list[Statement]:
    """Issued statements the caller may see (`visible`), of a month and/or of a producer."""
    query = sa.select(Statement).where(visible).order_by(Statement.month_start, Statement.producer_name)
    if month is not None:
        query = query.where(Statement.month_start == month)
    if producer_id is not None:
        query = query.where(Statement.producer_id == producer_id)
    return list(session.scalars(query))


def statement(*, session: Session, statement_id: uuid.UUID, visible=sa.true()) -> Statement | None:
    """One issued statement, if the caller may see it (`visible`)."""
    return session.scalar(sa.select(Statement).where(Statement.statement_id == statement_id, visible))


def statement_lines(*, session: Session, statement_id: uuid.UUID) -> list[StatementLine]:
    """The lines a statement settled, in date order."""
    return list(
        session.scalars(
            sa.select(StatementLine)
            .where(StatementLine.statement_id == statement_id)
            .order_by(StatementLine.business_date, StatementLine.kind.desc(), StatementLine.document_id, StatementLine.line_no)
        )
    )


def valid_iban(value: str | None) -> IBAN | None:
    """The IBAN if schwifty finds it valid (checksum, length, country format), else None."""
    if not value:
        return None
    try:
        return IBAN(value)
    except SchwiftyException:
        return None
