"""Sales' event handlers: keep the catalogue copy that prices the receipts."""

from services.sales import catalogue


def on_product_registered(session, event):
    catalogue.keep_product(session=session, data=event.data)


def on_price_changed(session, event):
    catalogue.keep_price(session=session, data=event.data)


def on_product_retired(session, event):
    catalogue.retire_product(session=session, data=event.data, retired_at=event.occurred_at)


def on_producer(session, event):
    catalogue.keep_producer(session=session, data=event.data)


def on_selling_place_registered(session, event):
    catalogue.keep_selling_place(session=session, data=event.data)


HANDLERS = {
    "ProductRegistered": on_product_registered,
    "PriceChanged": on_price_changed,
    "ProductRetired": on_product_retired,
    "ProducerRegistered": on_producer,
    "ProducerUpdated": on_producer,
    "SellingPlaceRegistered": on_selling_place_registered,
}
