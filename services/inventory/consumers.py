"""Inventory's event handlers: recorded sales take goods off the shelf, refunds may put them back.

Both take a batch at once, so that the stock rows of the whole batch are locked in one go, in
key order, like every other change to stock.
"""

from backbone.consumer import batch_handler
from services.inventory import stock


@batch_handler
def on_sales_recorded(session, events):
    """Lower the stock of every line of the sales at their selling places."""
    stock.record_sales(session=session, events=events)


@batch_handler
def on_sales_refunded(session, events):
    """Put the refunded goods that went back on the shelf into its stock again."""
    stock.record_refunds(session=session, events=events)


HANDLERS = {"SaleRecorded": on_sales_recorded, "SaleRefunded": on_sales_refunded}
