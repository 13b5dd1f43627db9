"""The SEPA credit-transfer file (pain.001.001.03) of a month's payouts, built and validated by sepaxml."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sepaxml import SepaTransfer

from services.reporting.models import Statement
from services.reporting.settlements import valid_iban

SCHEMA = "pain.001.001.03"


@dataclass(frozen=True)
class Debtor:
    name: str
    iban: str
    bic: str | None = None


@dataclass
class PayoutFile:
    xml: bytes
    paid: list[Statement]
    #: statements with a payout but no valid IBAN, and why
    skipped: dict


def payout_file(*, statements: list[Statement], debtor: Debtor, execution_date: date) -> PayoutFile:
    """A pain.001 file paying every positive payout to a valid IBAN; the others are listed as skipped."""
    config = {"name": debtor.name, "IBAN": debtor.iban, "batch": True, "currency": "EUR"}
    if debtor.bic:
        config["BIC"] = debtor.bic
    transfer = SepaTransfer(config, schema=SCHEMA, clean=True)
    paid, skipped = [], {}
    for statement in statements:
        if statement.payout <= 0:
            continue
        iban = valid_iban(statement.iban)
        if iban is None:
            skipped[str(statement.producer_id)] = "no valid IBAN"
            continue
        payment = {
            "name": statement.producer_name,
            "IBAN": str(iban.compact),
            "amount": int(statement.payout * 100),
            "execution_date": execution_date,
            "description": f"Rendiconto {statement.month_start:%Y-%m} / settlement statement {statement.statement_id}",
            "endtoend_id": statement.statement_id.hex[:35],
        }
        if iban.bic is not None:
            payment["BIC"] = str(iban.bic)
        transfer.add_payment(payment)
        paid.append(statement)
    xml = transfer.export(validate=True) if paid else b""
    return PayoutFile(xml=xml, paid=paid, skipped=skipped)
