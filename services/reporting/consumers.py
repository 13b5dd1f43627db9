"""Reporting's event handlers: each sale becomes facts; the aggregates follow in a Celery task."""

from backbone.consumer import batch_handler
from backbone.db import after_commit
from services.reporting import service, tasks


@batch_handler
def on_sales_recorded(session, events):
    """Store the sales' lines as facts and ask for the affected aggregates to be recomputed."""
    if service.store_sales(session=session, events=events):
        if not session.info.get("recompute_requested"):
            session.info["recompute_requested"] = True
            after_commit(session, tasks.request_recompute)


HANDLERS = {"SaleRecorded": on_sales_recorded}
