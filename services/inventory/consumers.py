"""Inventory's event handlers: a recorded sale takes goods off the shelf, a refund may put them back."""

from services.inventory import stock


def on_sale_recorded(session, event):
    """Lower the stock of every line of a sale at its selling place."""
    stock.record_sale(session=session, event=event)


def on_sale_refunded(session, event):
    """Put the refunded goods that went back on the shelf into its stock again."""
    stock.record_refund(session=session, event=event)


HANDLERS = {"SaleRecorded": on_sale_recorded, "SaleRefunded": on_sale_refunded}
