"""Sales' event handlers: keep the catalogue copy that prices the receipts."""

from services.sales import service


def on_product_registered(session, event):
    service.keep_product(session=session, data=event.data)


def on_selling_place_registered(session, event):
    service.keep_selling_place(session=session, data=event.data)


HANDLERS = {
    "ProductRegistered": on_product_registered,
    "SellingPlaceRegistered": on_selling_place_registered,
}
