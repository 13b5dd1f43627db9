"""The figures of a Z report: counts and totals by payment method and VAT rate, sales less refunds."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from services.sales.money import ZERO


@dataclass
class _ByMethod:
    receipts: int = 0
    sales_total: Decimal = ZERO
    refunds: int = 0
    refunds_total: Decimal = ZERO


@dataclass
class _ByRate:
    sales_gross: Decimal = ZERO
    sales_vat: Decimal = ZERO
    refunds_gross: Decimal = ZERO
    refunds_vat: Decimal = ZERO


@dataclass
class Section:
    """The receipts and refunds of one part of a day (before its close, or the corrections after it)."""

    receipts: list[dict] = field(default_factory=list)
    refunds: list[dict] = field(default_factory=list)
    by_method: dict[str, _ByMethod] = field(default_factory=dict)
    by_rate: dict[Decimal, _ByRate] = field(default_factory=dict)

    def add_receipt(self, receipt: dict) -> None:
        """Count a receipt under its payment method and list it."""
        self.receipts.append(receipt)
        method = self.by_method.setdefault(receipt["payment_method"], _ByMethod())
        method.receipts += 1
        method.sales_total += receipt["total"]

    def add_refund(self, refund: dict) -> None:
        """Count a refund under the payment method of its sale (the money goes back the same way) and list it."""
        self.refunds.append(refund)
        method = self.by_method.setdefault(refund["payment_method"], _ByMethod())
        method.refunds += 1
        method.refunds_total += refund["total"]

    def add_sales_vat(self, rate: Decimal, gross: Decimal, vat: Decimal) -> None:
        """Add the sold amount and VAT at one rate."""
        share = self.by_rate.setdefault(rate, _ByRate())
        share.sales_gross += gross
        share.sales_vat += vat

    def add_refund_vat(self, rate: Decimal, gross: Decimal, vat: Decimal) -> None:
        """Add the refunded amount and VAT at one rate."""
        share = self.by_rate.setdefault(rate, _ByRate())
        share.refunds_gross += gross
        share.refunds_vat += vat

    def as_dict(self) -> dict:
        """The section's figures and lists, ready for the API."""
        sales_total = sum((r["total"] for r in self.receipts), ZERO)
        refunds_total = sum((r["total"] for r in self.refunds), ZERO)
        return {
            "receipt_count": len(self.receipts),
            "sales_total": sales_total,
            "sales_vat": sum((r["vat_total"] for r in self.receipts), ZERO),
            "refund_count": len(self.refunds),
            "refunds_total": refunds_total,
            "refunds_vat": sum((r["vat_total"] for r in self.refunds), ZERO),
            "net_total": sales_total - refunds_total,
            "by_payment_method": [
                {
                    "payment_method": name,
                    "receipts": m.receipts,
                    "sales_total": m.sales_total,
                    "refunds": m.refunds,
                    "refunds_total": m.refunds_total,
                    "net_total": m.sales_total - m.refunds_total,
                }
                for name, m in sorted(self.by_method.items())
            ],
            "by_vat_rate": [
                {
                    "vat_rate": rate,
                    "sales_gross": r.sales_gross,
                    "sales_vat": r.sales_vat,
                    "refunds_gross": r.refunds_gross,
                    "refunds_vat": r.refunds_vat,
                    "net_gross": r.sales_gross - r.refunds_gross,
                    "net_vat": r.sales_vat - r.refunds_vat,
                }
                for rate, r in sorted(self.by_rate.items())
            ],
            "receipts": self.receipts,
            "refunds": self.refunds,
        }
