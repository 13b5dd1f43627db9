"""(c) Reporting's facts equal the oracle's lines to the cent, and every aggregate the sum of its facts.

The aggregates are recomputed here by GROUP BY over the facts, independently of reporting's own
code, and compared key by key with what reporting stored.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa

from services.reporting.facts import commission
from services.reporting.models import (
    UNATTRIBUTED_PRODUCER,
    UNATTRIBUTED_SECTOR,
    UNATTRIBUTED_VILLAGE,
    DailyProducerSales,
    DailySectorSales,
    DirtyKey,
    ReceiptsDay,
    RefundLineFact,
    SaleLineFact,
    SalesDay,
    SalesMonth,
    SellingPlace,
)
from services.sales.models import Receipt, ReceiptLine, Refund, RefundLine

ZERO = Decimal(0)


def check(source, report) -> None:
    """Facts against the sales' oracle, then every aggregate table against its facts."""
    _facts(source, report)
    for dirty in source.rows("reporting", sa.select(DirtyKey.dimension, DirtyKey.key, DirtyKey.business_date)):
        report.add(
            "aggregate_stale",
            f"{dirty.dimension}/{dirty.key}/{dirty.business_date}",
            "recomputed",
            "dirty",
            "an aggregate still waits for its recomputation",
        )
    _daily(source, report)
    _cube(source, report)


# -- facts ------------------------------------------------------------------------------------------


def _facts(source, report) -> None:
    line = ReceiptLine
    sold = source.rows(
        "sales",
        sa.select(line.receipt_id, line.line_no, Receipt.selling_place_id, Receipt.business_date, line.product_id, line.producer_id,
                  line.sector, line.quantity, line.gross, line.vat).join(Receipt, Receipt.id == line.receipt_id),
    )  # fmt: skip
    fact = SaleLineFact
    facts = source.rows(
        "reporting",
        sa.select(fact.receipt_id, fact.line_no, fact.selling_place_id, fact.business_date, fact.product_id, fact.producer_id,
                  fact.sector, fact.quantity, fact.gross, fact.vat),
    )  # fmt: skip
    _compare_lines(report, "sale_fact", sold, facts)
    refund = RefundLine
    refunded = source.rows(
        "sales",
        sa.select(refund.refund_id, refund.line_no, Refund.selling_place_id, Refund.business_date, refund.product_id,
                  refund.producer_id, refund.sector, refund.quantity, refund.gross, refund.vat).join(Refund, Refund.id == refund.refund_id),
    )  # fmt: skip
    rfact = RefundLineFact
    rfacts = source.rows(
        "reporting",
        sa.select(rfact.refund_id, rfact.line_no, rfact.selling_place_id, rfact.business_date, rfact.product_id, rfact.producer_id,
                  rfact.sector, rfact.quantity, rfact.gross, rfact.vat),
    )  # fmt: skip
    _compare_lines(report, "refund_fact", refunded, rfacts)
    _commissions(source, report)


def _commissions(source, report) -> None:
    """Each fact's commission is its rate on its gross, half-up to the cent; the rate is known once its selling place is."""
    places = {row[0] for row in source.rows("reporting", sa.select(SellingPlace.selling_place_id))}
    for table, document in ((SaleLineFact, SaleLineFact.receipt_id), (RefundLineFact, RefundLineFact.refund_id)):
        query = sa.select(document, table.line_no, table.selling_place_id, table.gross, table.commission_rate, table.commission)
        for doc, line_no, place, gross, rate, amount in source.rows("reporting", query):
            if (rate is None and place in places) or amount != commission(gross, rate):
                report.add(
                    f"{table.__tablename__}_commission", f"{doc}/{line_no}", commission(gross, rate), (rate, amount),
                    "the commission is not the selling place's rate on the line's gross",
                )  # fmt: skip


def _compare_lines(report, kind: str, oracle_rows, fact_rows) -> None:
    def normal(row):
        document, line_no, place, day, product, producer, sector, quantity, gross, vat = row
        return (document, line_no), (
            place,
            day,
            product,
            producer or UNATTRIBUTED_PRODUCER,
            sector or UNATTRIBUTED_SECTOR,
            quantity,
            gross,
            vat,
        )

    oracle = dict(normal(r) for r in oracle_rows)
    facts = dict(normal(r) for r in fact_rows)
    for key in oracle.keys() - facts.keys():
        report.add(
            f"{kind}_missing", f"{key[0]}/{key[1]}", oracle[key], None, f"line {key[1]} of {key[0]} has no fact in reporting"
        )
    for key in facts.keys() - oracle.keys():
        report.add(
            f"{kind}_extra",
            f"{key[0]}/{key[1]}",
            None,
            facts[key],
            f"line {key[1]} of {key[0]} is a fact the oracle never accepted",
        )
    for key in oracle.keys() & facts.keys():
        if oracle[key] != facts[key]:
            report.add(
                f"{kind}_wrong",
                f"{key[0]}/{key[1]}",
                oracle[key],
                facts[key],
                f"the fact of line {key[1]} of {key[0]} differs from the oracle",
            )


# -- aggregates -------------------------------------------------------------------------------------


def _compare(report, table: str, recomputed: dict, stored: dict) -> None:
    for key in recomputed.keys() | stored.keys():
        want, got = recomputed.get(key), stored.get(key)
        if want != got:
            label = "/".join(str(part) for part in key)
            what = "missing" if got is None else "extra" if want is None else "not the sum of its facts"
            report.add(f"aggregate_{table}", label, want, got, f"{table} row {label} is {what}")


def _daily(source, report) -> None:
    f = SaleLineFact
    for table, column, key_column in (
        (DailyProducerSales, f.producer_id, DailyProducerSales.producer_id),
        (DailySectorSales, f.sector, DailySectorSales.sector),
    ):
        recomputed = {
            (r[0], r[1]): tuple(r[2:])
            for r in source.rows(
                "reporting",
                sa.select(
                    column,
                    f.business_date,
                    sa.func.sum(f.quantity),
                    sa.func.sum(f.gross),
                    sa.func.sum(f.vat),
                    sa.func.count(),
                    sa.func.count(sa.distinct(f.receipt_id)),
                ).group_by(column, f.business_date),
            )  # fmt: skip
        }
        stored = {
            (r[0], r[1]): tuple(r[2:])
            for r in source.rows(
                "reporting",
                sa.select(key_column, table.business_date, table.quantity, table.gross, table.vat, table.lines, table.receipts),
            )
        }
        _compare(report, table.__tablename__, recomputed, stored)


_SALE_FIGURES = ("quantity", "gross", "vat", "commission", "lines", "receipts")
_REFUND_FIGURES = ("refunded_quantity", "refunded_gross", "refunded_vat", "refunded_commission", "refund_lines")


def _cube(source, report) -> None:
    """sales_day and sales_month from the sale and refund facts; receipts_day from the sale facts."""
    village = sa.func.coalesce(SaleLineFact.village_id, sa.literal(UNATTRIBUTED_VILLAGE, sa.Uuid()))
    for table, day_column, with_product in ((SalesDay, "business_date", True), (SalesMonth, "month_start", False)):
        recomputed: dict = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO, 0, 0, ZERO, ZERO, ZERO, ZERO, 0])
        for facts, figures in ((SaleLineFact, "sale"), (RefundLineFact, "refund")):
            f = facts
            key = [
                getattr(f, day_column), f.selling_place_id, sa.func.coalesce(f.village_id, sa.literal(UNATTRIBUTED_VILLAGE, sa.Uuid())),
                f.producer_id, *([f.product_id] if with_product else []), f.sector, f.mountain_product, f.vat_rate,
            ]  # fmt: skip
            sums = [sa.func.sum(f.quantity), sa.func.sum(f.gross), sa.func.sum(f.vat), sa.func.sum(f.commission), sa.func.count()]
            if figures == "sale":
                # a month counts the receipts of each day and product, as the days do
                per_product = sa.func.count(sa.distinct(sa.func.concat(f.receipt_id, "/", f.product_id, "/", f.business_date)))
                sums.append(sa.func.count(sa.distinct(f.receipt_id)) if with_product else per_product)
            for row in source.rows("reporting", sa.select(*key, *sums).group_by(*key)):
                k, values = tuple(row[: len(key)]), list(row[len(key) :])
                target = recomputed[k]
                if figures == "sale":
                    target[0:6] = values
                else:
                    target[6:11] = values
        stored_key = [
            getattr(table, day_column), table.selling_place_id, table.village_id, table.producer_id,
            *([table.product_id] if with_product else []), table.sector, table.mountain_product, table.vat_rate,
        ]  # fmt: skip
        stored = {
            tuple(r[: len(stored_key)]): list(r[len(stored_key) :])
            for r in source.rows(
                "reporting", sa.select(*stored_key, *(getattr(table, c) for c in _SALE_FIGURES + _REFUND_FIGURES))
            )
        }
        _compare(report, table.__tablename__, {k: v for k, v in recomputed.items()}, stored)
    f = SaleLineFact
    recomputed = {
        tuple(r[:3]): tuple(r[3:])
        for r in source.rows(
            "reporting",
            sa.select(
                f.business_date, f.selling_place_id, village, sa.func.count(sa.distinct(f.receipt_id)), sa.func.sum(f.gross)
            ).group_by(f.business_date, f.selling_place_id, village),
        )
    }
    stored = {
        tuple(r[:3]): tuple(r[3:])
        for r in source.rows(
            "reporting",
            sa.select(
                ReceiptsDay.business_date,
                ReceiptsDay.selling_place_id,
                ReceiptsDay.village_id,
                ReceiptsDay.receipts,
                ReceiptsDay.gross,
            ),
        )
    }
    _compare(report, "receipts_day", recomputed, stored)
