"""Reporting's event handlers: each sale becomes facts; the aggregates follow in a Celery task."""

from backbone.db import after_commit
from services.reporting import service, tasks


def on_sale_recorded(session, event):
    """Store the sale's lines as facts and ask for the affected aggregates to be recomputed."""
    if service.store_sale(session=session, event=event):
        if not session.info.get("recompute_requested"):
            session.info["recompute_requested"] = True
            after_commit(session, tasks.request_recompute)


HANDLERS = {"SaleRecorded": on_sale_recorded}
