"""The province's other views: model indicators, the open-data table, report exports made by workers."""

import sqlalchemy as sa
from flask import current_app, request, url_for
from flask.views import MethodView
from flask_smorest import abort

from backbone.auth import PRODUCER, PROVINCE_ANALYST, VILLAGE_OPERATOR
from backbone.db import after_commit
from backbone.web import Blueprint, allow, current_principal, get_db, invalid
from services.reporting import access, exports, indicators, jobs, opendata, schemas
from services.reporting.api import downloads, file_response, report_query
from services.reporting.models import ExportJob

blp = Blueprint("province", __name__, description="Model indicators, open data and report exports")


@blp.route("/reports/indicators")
class ModelIndicators(MethodView):
    @allow(PROVINCE_ANALYST, VILLAGE_OPERATOR)
    @blp.arguments(schemas.IndicatorsQuery, location="query")
    @blp.response(200, schemas.Indicators)
    def get(self, args):
        """Per village or selling place: active producers, sector mix, revenue per inhabitant, growth, tourist season.

        A village operator sees their own village (or its selling places) only.
        """
        query = report_query(
            {**args, "granularity": "total", "group_by": [], "villages": [], "selling_places": [], "sectors": [],
             "producers": [], "mountain_product": None, "compare": []},
            scope=access.report_scope(current_principal()),
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
    # The table is made for publication (small cells hidden): no need to limit it to a village.
    @allow(PROVINCE_ANALYST, VILLAGE_OPERATOR)
    @blp.arguments(schemas.OpenDataQuery, location="query")
    @blp.response(200, schemas.OpenData)
    @downloads(blp, "The table as CSV or XLSX when format=csv|xlsx")
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
    @allow(PROVINCE_ANALYST, VILLAGE_OPERATOR, PRODUCER)
    @blp.arguments(schemas.ExportRequest)
    @blp.response(202, schemas.ExportStatus)
    def post(self, args):
        """Ask a worker for a report file (CSV or XLSX) of any size; poll its status for the download link.

        The file is limited as the caller's own reports are, and only the caller can see and download it.
        """
        raw = request.get_json()
        with get_db().transaction() as session:
            job = jobs.request_export(
                session=session,
                query=raw,
                file_format=args["format"],
                language=args["lang"],
                owner=access.export_owner(current_principal()),
            )
            export_id = job.export_id
            after_commit(session, lambda: jobs.send(export_id))
            return _status(job)


def _export(session, export_id) -> ExportJob | None:
    return session.scalar(sa.select(ExportJob).where(ExportJob.export_id == export_id, access.exports(current_principal())))


@blp.route("/exports/<uuid:export_id>")
class ExportView(MethodView):
    @allow(PROVINCE_ANALYST, VILLAGE_OPERATOR, PRODUCER)
    @blp.response(200, schemas.ExportStatus)
    def get(self, export_id):
        """Where one of the caller's exports is: pending, ready (with its download link) or failed."""
        with get_db().transaction() as session:
            job = _export(session, export_id)
            if job is None:
                abort(404, message="No such export.")
            return _status(job)


@blp.route("/exports/<uuid:export_id>/file")
class ExportFile(MethodView):
    @allow(PROVINCE_ANALYST, VILLAGE_OPERATOR, PRODUCER)
    @blp.response(200, description="The report file")
    @downloads(blp, "The report file, in the format asked for")
    @blp.alt_response(409, description="The export is not ready yet")
    def get(self, export_id):
        """Download one of the caller's exports once it is ready."""
        with get_db().transaction() as session:
            job = _export(session, export_id)
            if job is None:
                abort(404, message="No such export.")
            if job.status != "ready":
                abort(409, message=f"The export is {job.status}, not ready.")
            return file_response(job.content, job.format, f"export_{export_id}")
