"""Notifications' event handlers: stock events become alerts; the catalogue says whom to tell."""

from backbone.db import after_commit
from services.notifications import service, tasks


def on_stock_event(session, event):
    """StockLow / StockOut / StockDiscrepancy: record the alert, send it once committed."""
    for delivery_id in service.raise_alert(session=session, event=event):
        after_commit(session, lambda delivery_id=delivery_id: tasks.enqueue_delivery(delivery_id))


def on_producer_registered(session, event):
    service.keep_recipient(session=session, data=event.data)


def on_product_registered(session, event):
    service.keep_label(session=session, object_id=event.data["product_id"], kind="product", name=event.data["name"])


def on_selling_place_registered(session, event):
    data = event.data
    service.keep_label(session=session, object_id=data["selling_place_id"], kind="selling_place", name=data["name"])


HANDLERS = {
    "StockLow": on_stock_event,
    "StockOut": on_stock_event,
    "StockDiscrepancy": on_stock_event,
    "ProducerRegistered": on_producer_registered,
    "ProductRegistered": on_product_registered,
    "SellingPlaceRegistered": on_selling_place_registered,
}
