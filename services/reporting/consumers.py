"""Reporting's event handlers: events become facts; the aggregates follow in a Celery task."""

from backbone.consumer import batch_handler
from backbone.db import after_commit
from services.reporting import facts, tasks


def _recompute_after_commit(session) -> None:
    if not session.info.get("recompute_requested"):
        session.info["recompute_requested"] = True
        after_commit(session, tasks.request_recompute)


@batch_handler
def on_sales_recorded(session, events):
    """Store the sales' lines as facts and ask for the affected aggregates to be recomputed."""
    if facts.store_sales(session=session, events=events):
        _recompute_after_commit(session)


@batch_handler
def on_sales_refunded(session, events):
    """Store the refunds' lines as facts on the refund's day and ask for a recompute."""
    if facts.store_refunds(session=session, events=events):
        _recompute_after_commit(session)


@batch_handler
def on_stock_changed(session, events):
    """Store restocks, adjustments, transfers and stock-outs as facts (read by the reports directly)."""
    facts.store_stock(session=session, events=events)


def on_selling_place_registered(session, event):
    """Keep the selling place (its commission rate) and price the facts that came before it."""
    facts.store_selling_place(session=session, event=event)
    _recompute_after_commit(session)


def on_village_registered(session, event):
    """Keep the village (its name and population)."""
    facts.store_village(session=session, event=event)


def on_producer_changed(session, event):
    """Keep the producer's newest state (name, IBAN) for statements and payouts."""
    facts.store_producer(session=session, event=event)


def on_product_registered(session, event):
    """Keep the product (sector, mountain flag) to place restocks in the reports."""
    facts.store_product(session=session, event=event)


HANDLERS = {
    "SaleRecorded": on_sales_recorded,
    "SaleRefunded": on_sales_refunded,
    "StockRestocked": on_stock_changed,
    "StockAdjusted": on_stock_changed,
    "StockTransferred": on_stock_changed,
    "StockOut": on_stock_changed,
    "StockLow": on_stock_changed,
    "StockDiscrepancy": on_stock_changed,
    "SellingPlaceRegistered": on_selling_place_registered,
    "VillageRegistered": on_village_registered,
    "ProducerRegistered": on_producer_changed,
    "ProducerUpdated": on_producer_changed,
    "ProductRegistered": on_product_registered,
}
