"""Reporting's HTTP API: the figures the province and the producers pull."""

import uuid

from flask import Response, current_app, jsonify
from flask.views import MethodView
from flask_smorest import abort

from backbone.auth import PRODUCER, PROVINCE_ANALYST, VILLAGE_OPERATOR
from backbone.web import Blueprint, allow, current_principal, get_db, invalid
from services.reporting import access, exports, reports, schemas, service

blp = Blueprint("reporting", __name__, description="Sales aggregates of the network")


@blp.route("/reports/daily")
class DailyReport(MethodView):
    # Not for village operators: these daily tables add up every selling place of the network.
    @allow(PROVINCE_ANALYST, PRODUCER)
    @blp.arguments(schemas.DailyReportQuery, location="query")
    @blp.response(200, schemas.DailyReport)
    def get(self, query):
        """Daily sales per producer or per sector, with the freshness watermark (a producer sees their own only)."""
        principal = current_principal()
        if query["group_by"] == "sector" and not access.reads_network(principal):
            abort(403, message="A sector's daily figures mix every producer's sales: ask for group_by=producer, your own.")
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
                visible=access.daily_rows(principal, query["group_by"]),
            )


def report_query(args: dict, **overrides) -> reports.ReportQuery:
    """The report query of validated request arguments (the season calendar from the configuration).

    Give `scope` (see `access.report_scope`) to limit it to a caller's figures.
    """
    fields = {name: args[name] for name in ("date_from", "date_to", "granularity")}
    for name in ("group_by", "villages", "selling_places", "sectors", "producers", "compare"):
        fields[name] = tuple(args[name])
    fields["mountain_product"] = args["mountain_product"]
    fields.update(overrides)
    return reports.ReportQuery(**fields, seasons=current_app.config["SEASONS"])


def file_response(content: bytes, file_format: str, filename: str) -> Response:
    """A download of `content`."""
    return Response(
        content,
        content_type=exports.CONTENT_TYPES[file_format],  # it names its charset already
        headers={"Content-Disposition": f'attachment; filename="{filename}.{file_format}"'},
    )


#: the OpenAPI schema of a file's content
FILE = {"type": "string", "format": "binary"}


def downloads(blueprint, description: str = "The same as CSV or XLSX when format=csv|xlsx"):
    """Document the CSV and XLSX files a view answers besides its JSON."""

    def decorate(view):
        for content_type in exports.CONTENT_TYPES.values():
            view = blueprint.alt_response(200, schema=FILE, description=description, content_type=content_type.split(";")[0])(
                view
            )
        return view

    return decorate


@blp.route("/reports/sales")
class SalesReport(MethodView):
    @allow(PROVINCE_ANALYST, VILLAGE_OPERATOR, PRODUCER)
    @blp.arguments(schemas.SalesReportQuery, location="query")
    @blp.response(200, schemas.SalesReport)
    @downloads(blp, "The report as CSV or XLSX when format=csv|xlsx")
    def get(self, args):
        """Sales, refunds, commission, payouts and stock figures: filtered, grouped, bucketed by period, compared.

        A village operator's report is limited to their village, a producer's to their own goods.
        """
        query = report_query(args, scope=access.report_scope(current_principal()))
        with get_db().transaction() as session:
            report = reports.sales_report(session=session, query=query)
        if args["format"] == "json":
            # schemas.SalesReport's JSON, its rows written without marshmallow's per-value dumping
            return jsonify(schemas.dump_sales_report(report))
        if len(report["rows"]) > current_app.config["EXPORT_SYNC_MAX_ROWS"]:
            invalid(
                "format",
                f"{len(report['rows'])} rows are too many for a file made in the request: POST /exports and download it when ready.",
                location="query",
            )
        content = exports.render(report["rows"], args["format"], args["lang"], title="Sales")
        return file_response(content, args["format"], f"sales_{args['date_from']}_{args['date_to']}")
