"""(b) Every shelf: stock on hand = the sum of its ledger = restocks - sales + refunds (+ adjustments).

Sales and refunds come from sales' database (the oracle); inventory's ledger must hold each sold
line once (a refund line put back on the shelf once), or keep it as unmatched when inventory does
not know the product or the selling place.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa

from backbone.outbox import outbox
from services.inventory.models import Product, SellingPlace, Stock, StockMovement, UnmatchedSaleLine
from services.sales.models import Receipt, ReceiptLine, Refund, RefundLine

ZERO = Decimal(0)
FROM_SALES = ("sale", "refund")


def _key(place, product) -> str:
    return f"{place}/{product}"


def check(source, report) -> None:
    """Compare stock rows, the ledger and the sales' oracle, shelf by shelf and line by line."""
    sold = source.rows(
        "sales",
        sa.select(Receipt.id, Receipt.selling_place_id, ReceiptLine.product_id, ReceiptLine.quantity).join(
            ReceiptLine, ReceiptLine.receipt_id == Receipt.id
        ),
    )
    refunded = source.rows(
        "sales",
        sa.select(
            Refund.id, Refund.selling_place_id, RefundLine.product_id, RefundLine.quantity, RefundLine.returned_to_shelf
        ).join(RefundLine, RefundLine.refund_id == Refund.id),
    )
    report.checked["sales"] = len({r.id for r in sold})
    report.checked["refunds"] = len({r.id for r in refunded})
    places = {r.id for r in source.rows("inventory", sa.select(SellingPlace.id))}
    products = {r.id for r in source.rows("inventory", sa.select(Product.id))}

    # what the ledger must hold, per (cause, document, place, product): (lines, quantity)
    expected: dict[tuple, list] = defaultdict(lambda: [0, ZERO])
    unmatched_expected: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for cause, sign, rows in (("sale", -1, sold), ("refund", 1, (r for r in refunded if r.returned_to_shelf))):
        for r in rows:
            if r.selling_place_id in places and r.product_id in products:
                entry = expected[(cause, r.id, r.selling_place_id, r.product_id)]
                entry[0] += 1
                entry[1] += sign * r.quantity
            else:
                unmatched_expected[(cause, r.id, r.product_id)] += r.quantity

    movements = source.rows(
        "inventory",
        sa.select(
            StockMovement.id, StockMovement.selling_place_id, StockMovement.product_id, StockMovement.quantity,
            StockMovement.cause, StockMovement.reference,
        ),
    )  # fmt: skip
    found: dict[tuple, list] = defaultdict(lambda: [0, ZERO, []])
    ledger_sum: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    not_from_sales: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    restocks = 0
    for m in movements:
        shelf = (m.selling_place_id, m.product_id)
        ledger_sum[shelf] += m.quantity
        if m.cause in FROM_SALES:
            entry = found[(m.cause, m.reference, m.selling_place_id, m.product_id)]
            entry[0] += 1
            entry[1] += m.quantity
            entry[2].append(m.id)
        else:
            not_from_sales[shelf] += m.quantity
            restocks += m.cause == "restock"
    report.checked["restocks"] = restocks

    for key in expected.keys() | found.keys():
        cause, document, place, product = key
        want, got = expected.get(key, [0, ZERO]), found.get(key, [0, ZERO, []])
        if (want[0], want[1]) != (got[0], got[1]):
            what = "missing from" if got[0] < want[0] else "more than once in" if got[0] > want[0] else "wrong in"
            report.add(
                f"ledger_{cause}", document, f"{want[0]} line(s), {want[1]}", f"{got[0]} row(s) {got[2]}, {got[1]}",
                f"{cause} {document} of {product} at {place} is {what} the ledger",
            )  # fmt: skip

    _check_unmatched(source, report, unmatched_expected)

    oracle: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for (_, _, place, product), (_, quantity) in expected.items():
        oracle[(place, product)] += quantity
    stocks = {
        (r.selling_place_id, r.product_id): r.on_hand
        for r in source.rows("inventory", sa.select(Stock.selling_place_id, Stock.product_id, Stock.on_hand))
    }
    for shelf in stocks.keys() | ledger_sum.keys() | oracle.keys():
        on_hand = stocks.get(shelf)
        if on_hand is None:
            report.add(
                "stock_missing", _key(*shelf), ledger_sum[shelf], None, "the ledger has movements for a shelf with no stock row"
            )
            continue
        if on_hand != ledger_sum.get(shelf, ZERO):
            report.add(
                "stock_ledger", _key(*shelf), ledger_sum.get(shelf, ZERO), on_hand, "stock on hand is not the sum of its ledger"
            )
        should = not_from_sales.get(shelf, ZERO) + oracle.get(shelf, ZERO)
        if on_hand != should:
            report.add(
                "stock_oracle", _key(*shelf), should, on_hand, "stock on hand is not restocks + adjustments - sales + refunds"
            )


def _check_unmatched(source, report, expected: dict[tuple, Decimal]) -> None:
    """Lines inventory could not place must be kept as unmatched (by the event that carried them)."""
    if not expected:
        return
    documents = {}
    for row in source.rows(
        "sales",
        sa.select(outbox.c.event_id, outbox.c.type, outbox.c.payload).where(outbox.c.type.in_(("SaleRecorded", "SaleRefunded"))),
    ):
        data = json.loads(row.payload)["data"]
        if row.type == "SaleRecorded":
            documents[row.event_id] = ("sale", data["receipt_id"])
        else:
            documents[row.event_id] = ("refund", data["refund_id"])
    per_event: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for row in source.rows(
        "inventory", sa.select(UnmatchedSaleLine.event_id, UnmatchedSaleLine.product_id, UnmatchedSaleLine.quantity)
    ):
        if row.event_id in documents:
            cause, document = documents[row.event_id]
            per_event[(cause, document, str(row.product_id), row.event_id)] += row.quantity
    kept: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for (cause, document, product, _), quantity in per_event.items():
        kept[(cause, document, product)] = max(kept[(cause, document, product)], quantity)
    for (cause, document, product), quantity in expected.items():
        got = kept.get((cause, str(document), str(product)), ZERO)
        if got != quantity:
            report.add(
                f"unmatched_{cause}", document, quantity, got,
                f"{cause} {document} of {product}, unknown to inventory, is not kept as unmatched",
            )  # fmt: skip
