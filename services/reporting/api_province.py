"""The province's other views: model indicators, the open-data table, report exports made by workers."""

from flask import current_app, request, url_for
from flask.views import MethodView
from flask_smorest import abort

from backbone.db import after_commit
from backbone.web import Blueprint, get_db, invalid
from services.reporting import exports, indicators, jobs, opendata, schemas
from services.reporting.api import file_response, report_query
from services.reporting.models import ExportJob

blp = Blueprint("province", __name__, description="Model indicators, open data and report exports")


@blp.route("/reports/indicators")
class ModelIndicators(MethodView):
    @blp.arguments(schemas.IndicatorsQuery, location="query")
    @blp.response(200, schemas.Indicators)
    def get(self, args):
        """Per village or selling place: active producers, sector mix, revenue per inhabitant, growth, tourist season."""
        query = report_query(
            {**args, "granularity": "total", "group_by": [], "villages": [], "selling_places": [], "sectors": [],
             "producers": [], "mountain_product": None, "compare": []}
        )  # fmt: skip
        with get_db().transaction() as session:
            return indicators.indicators(
                session=session,
                query=query,
                level=args["level"],
                tourist_seasons=tuple(current_app.config["TOURIST_SEASONS"]),
            )


@blp.route("/open-data/sales")
class OpenData(MethodView):
    @blp.arguments(schemas.OpenDataQuery, location="query")
    @blp.response(200, schemas.OpenData)
    def get(self, args):
        """Net sales by village and sector for publication: cells of fewer than k producers hidden, and their partners."""
        minimum = current_app.config["OPEN_DATA_MIN_PRODUCERS"]
        k = args["k"] or minimum
        if k < minimum:
            invalid("k", f"Must be at least {minimum}, the network's rule.", location="query")
        with get_db().transaction() as session:
            table = opendata.open_data(session=session, date_from=args["date_from"], date_to=args["date_to"], k=k)
        if args["format"] == "json":
            return table
        content = exports.render(opendata.flat_rows(table), args["format"], args["lang"], title="Open data")
        return file_response(content, args["format"], f"open_data_{args['date_from']}_{args['date_to']}")


def _status(job: ExportJob) -> dict:
    return {
        "export_id": job.export_id,
        "status": job.status,
        "requested_at": job.requested_at,
        "finished_at": job.finished_at,
        "format": job.format,
        "rows": job.rows,
        "error": job.error,
        "download": url_for("province.ExportFile", export_id=job.export_id) if job.status == "ready" else None,
    }


@blp.route("/exports")
class Exports(MethodView):
    @blp.arguments(schemas.ExportRequest)
    @blp.response(202, schemas.ExportStatus)
    def post(self, args):
        """Ask a worker for a report file (CSV or XLSX) of any size; poll its status for the download link."""
        raw = request.get_json()
        with get_db().transaction() as session:
            job = jobs.request_export(session=session, query=raw, file_format=args["format"], language=args["lang"])
            export_id = job.export_id
            after_commit(session, lambda: jobs.send(export_id))
            return _status(job)


@blp.route("/exports/<uuid:export_id>")
class ExportView(MethodView):
    @blp.response(200, schemas.ExportStatus)
    def get(self, export_id):
        """Where an export is: pending, ready (with its download link) or failed."""
        with get_db().transaction() as session:
            job = session.get(ExportJob, export_id)
            if job is None:
                abort(404, message="No such export.")
            return _status(job)


@blp.route("/exports/<uuid:export_id>/file")
class ExportFile(MethodView):
    @blp.response(200, description="The report file")
    def get(self, export_id):
        """Download an export's file once it is ready."""
        with get_db().transaction() as session:
            job = session.get(ExportJob, export_id)
            if job is None:
                abort(404, message="No such export.")
            if job.status != "ready":
                abort(409, message=f"The export is {job.status}, not ready.")
            return file_response(job.content, job.format, f"export_{export_id}")
