"""Receipt arithmetic in exact euro: line amounts, VAT included in the price, rounded half-up to the cent."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent, the usual convention on Italian receipts."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def line_gross(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    """What the customer pays for a line, VAT included."""
    return to_cents(quantity * unit_price - discount)


def vat_included(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT contained in a VAT-inclusive amount (scorporo): gross * rate / (100 + rate)."""
    return to_cents(gross * rate / (Decimal(100) + rate))
