"""Inventory's event handlers: a recorded sale takes goods off the shelf."""

from services.inventory import service


def on_sale_recorded(session, event):
    """Lower the stock of every line of a sale at its selling place."""
    service.record_sale(session=session, event=event)


HANDLERS = {"SaleRecorded": on_sale_recorded}
