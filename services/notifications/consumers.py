"""Notifications' event handlers: stock events become alerts; the catalogue says whom to tell; sales feed digests."""

from flask import current_app

from backbone.consumer import batch_handler
from backbone.db import after_commit
from services.notifications import digests, recipients, service, tasks


def on_stock_event(session, event):
    """StockLow / StockOut / StockDiscrepancy: record the alert, send it once committed."""
    for delivery_id in service.raise_alert(session=session, event=event):
        after_commit(session, lambda delivery_id=delivery_id: tasks.enqueue_delivery(delivery_id))


def on_stock_rising(session, event):
    """A restock or a correction: alerts of a shelf now above its level are no longer "running low"."""
    data = event.data
    if data["quantity"] > 0:
        service.resolve_alerts(
            session=session,
            selling_place_id=data["selling_place_id"],
            product_id=data["product_id"],
            on_hand=data["on_hand"],
            occurred_at=event.occurred_at,
        )


def on_stock_transferred(session, event):
    """Goods moved in: the receiving shelf may be above its level again."""
    data = event.data
    service.resolve_alerts(
        session=session,
        selling_place_id=data["to_selling_place_id"],
        product_id=data["product_id"],
        on_hand=data["on_hand_to"],
        occurred_at=event.occurred_at,
    )


def on_producer(session, event):
    """ProducerRegistered / ProducerUpdated: keep the newest revision of the producer's contacts."""
    recipients.keep_producer(
        session=session, data=event.data, occurred_at=event.occurred_at, timezone_name=current_app.config["TIMEZONE"]
    )


def on_product_registered(session, event):
    recipients.keep_label(session=session, object_id=event.data["product_id"], kind="product", name=event.data["name"])


def on_selling_place_registered(session, event):
    recipients.keep_selling_place(session=session, data=event.data)


@batch_handler
def on_sales_recorded(session, events):
    """Keep the sales' lines for the producers' digests."""
    digests.keep_sales(session=session, events=events)


HANDLERS = {
    "StockLow": on_stock_event,
    "StockOut": on_stock_event,
    "StockDiscrepancy": on_stock_event,
    "StockRestocked": on_stock_rising,
    "StockAdjusted": on_stock_rising,
    "StockTransferred": on_stock_transferred,
    "ProducerRegistered": on_producer,
    "ProducerUpdated": on_producer,
    "ProductRegistered": on_product_registered,
    "SellingPlaceRegistered": on_selling_place_registered,
    "SaleRecorded": on_sales_recorded,
}
