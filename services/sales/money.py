"""Receipt arithmetic in exact euro: line amounts, VAT included in the price, rounded half-up to the cent.

The VAT of a receipt is taken out of each rate's total (scorporo on the total, as the registered
till prints it), then shared out over that rate's lines in whole cents, so the lines add up to the
printed figures exactly instead of drifting by the sum of their own roundings.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent, the usual convention on Italian receipts."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def line_gross(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    """What the customer pays for a line, VAT included."""
    return to_cents(quantity * unit_price - discount)


def vat_included(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT contained in a VAT-inclusive amount (scorporo): gross * rate / (100 + rate)."""
    return to_cents(gross * rate / (Decimal(100) + rate))


@dataclass(frozen=True)
class VatShare:
    """One VAT rate's part of a receipt: what was paid at that rate, the VAT in it, the rest."""

    vat_rate: Decimal
    gross: Decimal
    vat: Decimal

    @property
    def net(self) -> Decimal:
        """The amount without VAT (imponibile)."""
        return self.gross - self.vat


def vat_breakdown(lines: Iterable[tuple[Decimal, Decimal]]) -> list[VatShare]:
    """Per VAT rate, from (gross, rate) pairs: the rate's total and the VAT taken out of it; by rate."""
    totals: dict[Decimal, Decimal] = {}
    for gross, rate in lines:
        totals[rate] = totals.get(rate, ZERO) + gross
    return [VatShare(rate, gross, vat_included(gross, rate)) for rate, gross in sorted(totals.items())]


def allocate(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Share `amount` out pro rata to `weights` in whole cents that add up to it exactly.

    Each part is rounded down, then the cents left over go to the largest remainders (the earlier
    part on a tie): the largest remainder method, done in integers so nothing is lost to division.
    """
    cents = _in_cents(amount)
    units = [_in_cents(weight) for weight in weights]
    whole = sum(units)
    if whole == 0:
        if cents:
            raise ValueError("cannot share a non-zero amount over nothing")
        return [ZERO for _ in weights]
    parts = [divmod(cents * unit, whole) for unit in units]
    shares = [quotient for quotient, _ in parts]
    left = cents - sum(shares)
    by_remainder = sorted(range(len(parts)), key=lambda index: (-parts[index][1], index))
    for index in by_remainder[:left]:
        shares[index] += 1
    return [Decimal(share) * CENT for share in shares]


def _in_cents(amount: Decimal) -> int:
    cents = amount.scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(cents)


def line_vats(lines: Sequence[tuple[Decimal, Decimal]]) -> list[Decimal]:
    """Each line's VAT, from (gross, rate) pairs: its rate's VAT shared out over the rate's lines."""
    vats = [ZERO] * len(lines)
    for share in vat_breakdown(lines):
        indexes = [index for index, (_, rate) in enumerate(lines) if rate == share.vat_rate]
        for index, vat in zip(indexes, allocate(share.vat, [lines[index][0] for index in indexes]), strict=True):
            vats[index] = vat
    return vats


def pro_rata(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """`amount` * `part` / `whole` to the cent; the whole gives back exactly `amount`."""
    return to_cents(amount * part / whole)
