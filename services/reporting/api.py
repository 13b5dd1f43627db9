"""Reporting's HTTP API: the figures the province and the producers pull."""

import uuid

from flask.views import MethodView

from backbone.web import Blueprint, get_db, invalid
from services.reporting import schemas, service

blp = Blueprint("reporting", __name__, description="Sales aggregates of the network")


@blp.route("/reports/daily")
class DailyReport(MethodView):
    @blp.arguments(schemas.DailyReportQuery, location="query")
    @blp.response(200, schemas.DailyReport)
    def get(self, query):
        """Daily sales per producer or per sector, with the freshness watermark."""
        key = query["key"]
        if key is not None and query["group_by"] == "producer":
            try:
                key = uuid.UUID(key)
            except ValueError:
                invalid("key", "Not a valid producer id.", location="query")
        with get_db().transaction() as session:
            return service.daily_report(
                session=session,
                group_by=query["group_by"],
                date_from=query["date_from"],
                date_to=query["date_to"],
                key=key,
            )
