"""Report exports made by a Celery worker: requested, made once, downloaded when ready."""

from __future__ import annotations

import json
import uuid

import structlog
from flask import current_app

from backbone.db import utcnow
from backbone.web import get_db
from services.reporting import exports, reports
from services.reporting.models import ExportJob

log = structlog.get_logger("reporting.jobs")


def request_export(*, session, query: dict, file_format: str, language: str, owner: dict) -> ExportJob:
    """Record an export to make for its `owner` (who asked, and the scope its report is limited to); the task follows the commit."""
    job = ExportJob(
        export_id=uuid.uuid4(),
        requested_at=utcnow(),
        query=json.dumps(query),
        format=file_format,
        language=language,
        **owner,
    )
    session.add(job)
    session.flush()
    return job


def run_export(*, export_id: uuid.UUID) -> None:
    """Make the file of an export; a job already made is left alone (a redelivered task changes nothing)."""
    from services.reporting import access, schemas
    from services.reporting.api import report_query

    db = get_db()
    with db.transaction() as session:
        job = session.get(ExportJob, export_id)
        if job is None or job.status != "pending":
            return
        args = schemas.SalesReportQuery().load(json.loads(job.query))
        file_format, language, scope = job.format, job.language, access.export_scope(job)
    try:
        with db.transaction() as session:
            report = reports.sales_report(session=session, query=report_query(args, scope=scope))
        content = exports.render(report["rows"], file_format, language, title="Sales")
    except Exception as error:  # the job says it failed; the operator sees why
        log.exception("export failed", export_id=str(export_id))
        with db.transaction() as session:
            job = session.get(ExportJob, export_id)
            job.status, job.error, job.finished_at = "failed", repr(error)[:2000], utcnow()
        return
    with db.transaction() as session:
        job = session.get(ExportJob, export_id)
        job.status, job.content, job.rows, job.finished_at = "ready", content, len(report["rows"]), utcnow()
    log.info("export ready", export_id=str(export_id), rows=len(report["rows"]), bytes=len(content))


def send(export_id: uuid.UUID) -> None:
    """Hand an export to the workers."""
    from services.reporting.tasks import EXPORT

    current_app.extensions["celery"].send_task(EXPORT, args=[str(export_id)])
