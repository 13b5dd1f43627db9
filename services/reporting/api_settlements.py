"""Settlement statements, their PDF and the month's SEPA payout file; the producer-scoped views."""

import json
import uuid
from datetime import date, timedelta

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import abort

from backbone.auth import PRODUCER, PROVINCE_ANALYST
from backbone.web import Blueprint, allow, current_principal, get_db, invalid
from services.reporting import access, exports, reports, schemas, sepa, settlements, statement_pdf
from services.reporting.api import downloads, file_response, report_query
from services.reporting.tasks import _today

blp = Blueprint("settlements", __name__, description="Producers' monthly settlement statements and payouts")


def _summary(statement) -> dict:
    return {
        **{column: getattr(statement, column) for column in statement.__table__.columns.keys()},
        "iban_valid": settlements.valid_iban(statement.iban) is not None,
    }


@blp.route("/settlements")
class Statements(MethodView):
    # Not for village operators: a producer's statement settles their sales in every village.
    @allow(PROVINCE_ANALYST, PRODUCER)
    @blp.arguments(schemas.MonthQuery, location="query")
    @blp.response(200, schemas.StatementSchema(many=True))
    def get(self, query):
        """The statements issued for a month (a producer sees their own)."""
        visible = access.statements(current_principal())
        with get_db().transaction() as session:
            return [_summary(s) for s in settlements.statements(session=session, month=query["month"], visible=visible)]

    @allow()
    @blp.arguments(schemas.IssueStatements)
    @blp.response(201, schemas.StatementSchema(many=True))
    def post(self, body):
        """Issue a month's statements for every producer not yet settled for it (the others are left alone)."""
        with get_db().transaction() as session:
            try:
                issued = settlements.issue_statements(session=session, month=body["month"], today=_today())
            except settlements.MonthNotOver as error:
                invalid("month", str(error))
            return [_summary(s) for s in issued]


def _detail(session, statement_id, producer_id=None):
    statement = settlements.statement(session=session, statement_id=statement_id, visible=access.statements(current_principal()))
    if statement is None or (producer_id is not None and statement.producer_id != producer_id):
        abort(404, message="No such statement.")
    return statement, settlements.statement_lines(session=session, statement_id=statement_id)


@blp.route("/settlements/<uuid:statement_id>")
class StatementView(MethodView):
    @allow(PROVINCE_ANALYST, PRODUCER)
    @blp.response(200, schemas.StatementDetail)
    def get(self, statement_id):
        """One statement with every line it settled."""
        with get_db().transaction() as session:
            statement, lines = _detail(session, statement_id)
            return {**_summary(statement), "statement_lines": lines}


def _pdf(statement, lines, language):
    content = statement_pdf.render(statement, lines, language=language)
    return Response(
        content,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="statement_{statement.month_start:%Y-%m}_{statement.statement_id}.pdf"'
        },
    )


@blp.route("/settlements/<uuid:statement_id>/pdf")
class StatementPdf(MethodView):
    @allow(PROVINCE_ANALYST, PRODUCER)
    @blp.arguments(schemas.LanguageQuery, location="query")
    @blp.response(200, description="The statement as PDF", content_type="application/pdf")
    def get(self, query, statement_id):
        """The statement as a PDF, in Italian or English."""
        with get_db().transaction() as session:
            statement, lines = _detail(session, statement_id)
        return _pdf(statement, lines, query["lang"])


@blp.route("/settlements/sepa")
class SepaFile(MethodView):
    @allow()  # the payout file moves money: administrators only
    @blp.arguments(schemas.SepaQuery, location="query")
    @blp.response(200, description="A pain.001.001.03 credit-transfer file", content_type="application/xml")
    def get(self, query):
        """The SEPA credit transfers (pain.001) of a month's payouts; producers without a valid IBAN are listed in a header."""
        config = current_app.config
        if not config["SEPA_DEBTOR_IBAN"] or settlements.valid_iban(config["SEPA_DEBTOR_IBAN"]) is None:
            abort(409, message="The paying account is not configured: set REPORTING_SEPA_DEBTOR_IBAN to a valid IBAN.")
        with get_db().transaction() as session:
            issued = settlements.statements(session=session, month=query["month"])
        result = sepa.payout_file(
            statements=issued,
            debtor=sepa.Debtor(config["SEPA_DEBTOR_NAME"], config["SEPA_DEBTOR_IBAN"], config["SEPA_DEBTOR_BIC"]),
            execution_date=query["execution_date"] or date.today() + timedelta(days=1),
        )
        if not result.paid:
            abort(404, message="No payouts to make for this month.", errors={"skipped": result.skipped})
        return Response(
            result.xml,
            mimetype="application/xml",
            headers={
                "Content-Disposition": f'attachment; filename="payouts_{query["month"]:%Y-%m}.xml"',
                "X-Skipped-Producers": json.dumps(result.skipped),
            },
        )


# -- what a producer sees: their own figures only -------------------------------------------------


def _own(producer_id: uuid.UUID) -> None:
    """Another producer's views do not exist for a producer."""
    if not access.may_read_producer(current_principal(), producer_id):
        abort(404, message="No such producer.")


@blp.route("/producers/<uuid:producer_id>/statements")
class ProducerStatements(MethodView):
    @allow(PROVINCE_ANALYST, PRODUCER)
    @blp.response(200, schemas.StatementSchema(many=True))
    def get(self, producer_id):
        """A producer's own statements."""
        _own(producer_id)
        with get_db().transaction() as session:
            own = settlements.statements(session=session, producer_id=producer_id, visible=access.statements(current_principal()))
            return [_summary(s) for s in own]


@blp.route("/producers/<uuid:producer_id>/statements/<uuid:statement_id>/pdf")
class ProducerStatementPdf(MethodView):
    @allow(PROVINCE_ANALYST, PRODUCER)
    @blp.arguments(schemas.LanguageQuery, location="query")
    @blp.response(200, description="The statement as PDF", content_type="application/pdf")
    def get(self, query, producer_id, statement_id):
        """One of the producer's own statements as a PDF (another producer's is not found)."""
        _own(producer_id)
        with get_db().transaction() as session:
            statement, lines = _detail(session, statement_id, producer_id)
        return _pdf(statement, lines, query["lang"])


@blp.route("/producers/<uuid:producer_id>/sales")
class ProducerSales(MethodView):
    @allow(PROVINCE_ANALYST, PRODUCER)
    @blp.arguments(schemas.ProducerSalesQuery, location="query")
    @blp.response(200, schemas.SalesReport)
    @downloads(blp, "The report as CSV or XLSX when format=csv|xlsx")
    def get(self, args, producer_id: uuid.UUID):
        """A producer's own sales report: always restricted to that producer."""
        _own(producer_id)
        query = report_query({**args, "producers": []}, producers=(producer_id,), scope=access.report_scope(current_principal()))
        with get_db().transaction() as session:
            report = reports.sales_report(session=session, query=query)
        if args["format"] == "json":
            return report
        content = exports.render(report["rows"], args["format"], args["lang"], title="Sales")
        return file_response(content, args["format"], f"sales_{producer_id}_{args['date_from']}_{args['date_to']}")
