"""Sales' HTTP API: the shops post their receipts, refunds and day closes here."""

from __future__ import annotations

import contextlib
import uuid

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import ValidationError

from backbone import fields as bounded
from backbone.auth import CLERK, MANAGER, PRODUCER, PROVINCE_ANALYST, VILLAGE_OPERATOR
from backbone.web import Blueprint, allow, current_principal, get_db, invalid
from services.sales import access, catalogue, days, refunds, schemas, service
from services.sales.errors import Conflict, NotFound, Refused
from services.sales.models import Receipt, Refund

blp = Blueprint("sales", __name__, description="Receipts, refunds and day closes from the selling places")


@contextlib.contextmanager
def answering_refusals(location: str = "json"):
    """Turn a use case's refusal into its 4xx answer naming the field (nothing was written: the transaction rolled back)."""
    try:
        yield
    except Conflict as error:
        abort(409, message=error.message, errors={location: error.errors()})
    except Refused as error:
        abort(422, errors={location: error.errors()})
    except NotFound as error:
        abort(404, message=str(error))


@blp.route("/receipts")
class Receipts(MethodView):
    @blp.arguments(schemas.ReceiptIn)
    @blp.response(201, schemas.ReceiptOut)
    @blp.alt_response(200, schema=schemas.ReceiptOut, description="This receipt was already recorded: the original")
    @blp.alt_response(409, description="This receipt id was already used for a different sale")
    @allow(CLERK, MANAGER)
    def post(self, receipt):
        """Record a sale; posting the same receipt again records nothing new."""
        receipt["selling_place_id"] = access.selling_place_of_sale(current_principal(), receipt["selling_place_id"])
        if receipt["selling_place_id"] is None:
            invalid("selling_place_id", "Missing data for required field.")
        with answering_refusals(), get_db().transaction() as session:
            recorded, created = service.record_receipt(session=session, receipt=receipt)
        return recorded, 201 if created else 200

    @allow(CLERK, MANAGER, VILLAGE_OPERATOR)
    @blp.arguments(schemas.ReceiptQuery, location="query")
    @blp.response(200, schemas.ReceiptOut(many=True))
    def get(self, query):
        """Receipts, newest first: of a selling place, of a day, or those with a line to review (flagged)."""
        with get_db().transaction() as session:
            return service.find_receipts(
                session=session, visible=access.places(current_principal(), Receipt.selling_place_id), **query
            )


@blp.route("/receipts/batch")
class ReceiptBatch(MethodView):
    @allow(CLERK, MANAGER)
    @blp.arguments(schemas.ReceiptBatchIn)
    @blp.response(200, schemas.ReceiptBatchOut)
    def post(self, batch):
        """Record receipts kept by a till while offline: one result each; a bad one never rejects the others."""
        principal = current_principal()
        loader = schemas.ReceiptIn()
        results: list[dict | None] = []
        valid: list[dict] = []
        positions: list[int] = []
        for index, raw in enumerate(batch["receipts"]):
            try:
                receipt = loader.load(raw)
                receipt["selling_place_id"] = _batch_place(principal, receipt["selling_place_id"])
                valid.append(receipt)
            except ValidationError as error:
                results.append(
                    {"index": index, "receipt_id": _receipt_id(raw), "status": service.REJECTED, "errors": error.messages}
                )
                continue
            positions.append(index)
            results.append(None)
        with get_db().transaction() as session:
            outcomes = service.record_receipts(session=session, receipts=valid)
        for index, outcome in zip(positions, outcomes, strict=True):
            result = {"index": index, "receipt_id": outcome.receipt_id, "status": outcome.status, **outcome.summary}
            if outcome.errors is not None:
                result["errors"] = outcome.errors
            results[index] = result
        counts = {status: 0 for status in (service.CREATED, service.DUPLICATE, service.REJECTED)}
        for result in results:
            counts[result["status"]] += 1
        return {
            "created": counts[service.CREATED],
            "duplicates": counts[service.DUPLICATE],
            "rejected": counts[service.REJECTED],
            "results": results,
        }


def _batch_place(principal, given: uuid.UUID | None) -> uuid.UUID:
    """The selling place of one batched receipt: the till's own; another one rejects only that receipt."""
    if principal.role in access.TILL_ROLES:
        if given is not None and given != principal.selling_place_id:
            raise ValidationError({"selling_place_id": ["This key records sales for its own selling place only."]})
        return principal.selling_place_id
    if given is None:
        raise ValidationError({"selling_place_id": ["Missing data for required field."]})
    return given


def _visible_receipt(session, receipt_id):
    """The receipt if the caller may see it, else None (a receipt of another selling place does not exist)."""
    return session.scalar(
        sa.select(Receipt).where(Receipt.id == receipt_id, access.places(current_principal(), Receipt.selling_place_id))
    )


def _receipt_id(raw) -> uuid.UUID | None:
    """The id of a receipt refused by validation, if it has a readable one, so the till can match the result."""
    try:
        return uuid.UUID(str(raw["receipt_id"]))
    except (TypeError, KeyError, ValueError, AttributeError):
        return None


@blp.route("/receipts/<uuid:receipt_id>")
class ReceiptById(MethodView):
    @allow(CLERK, MANAGER, VILLAGE_OPERATOR)
    @blp.response(200, schemas.ReceiptOut)
    def get(self, receipt_id):
        """One receipt with its lines."""
        with get_db().transaction() as session:
            receipt = _visible_receipt(session, receipt_id)
        if receipt is None:
            abort(404, message="No such receipt.")
        return receipt


@blp.route("/receipts/<uuid:receipt_id>/refunds")
class ReceiptRefunds(MethodView):
    @blp.arguments(schemas.RefundIn)
    @blp.response(201, schemas.RefundOut)
    @blp.alt_response(200, schema=schemas.RefundOut, description="This refund was already recorded: the original")
    @blp.alt_response(409, description="This refund id was already used for a different refund")
    @allow(CLERK, MANAGER)
    def post(self, refund, receipt_id):
        """Give back (part of) a sale, or void it; never more than was sold, posting again records nothing new."""
        with answering_refusals(), get_db().transaction() as session:
            if _visible_receipt(session, receipt_id) is None:
                abort(404, message="No such receipt.")
            recorded, created = refunds.refund_receipt(session=session, receipt_id=receipt_id, refund=refund)
        return recorded, 201 if created else 200

    @allow(CLERK, MANAGER, VILLAGE_OPERATOR)
    @blp.response(200, schemas.RefundOut(many=True))
    def get(self, receipt_id):
        """The refunds of a receipt, oldest first."""
        with get_db().transaction() as session:
            if _visible_receipt(session, receipt_id) is None:
                abort(404, message="No such receipt.")
            return refunds.refunds_of(session=session, receipt_id=receipt_id)


@blp.route("/refunds/<uuid:refund_id>")
class RefundById(MethodView):
    @allow(CLERK, MANAGER, VILLAGE_OPERATOR)
    @blp.response(200, schemas.RefundOut)
    def get(self, refund_id):
        """One refund with its lines."""
        with get_db().transaction() as session:
            refund = session.scalar(
                sa.select(Refund).where(Refund.id == refund_id, access.places(current_principal(), Refund.selling_place_id))
            )
        if refund is None:
            abort(404, message="No such refund.")
        return refund


def _business_date(value: str):
    try:
        return bounded.Day().deserialize(value)
    except ValidationError as error:
        abort(422, errors={"path": {"business_date": error.messages}})


def _visible_place(session, selling_place_id) -> None:
    if not access.may_see_place(session, current_principal(), selling_place_id):
        abort(404, message="No such selling place.")


@blp.route("/selling-places/<uuid:selling_place_id>/days/<business_date>")
class Day(MethodView):
    @allow(CLERK, MANAGER, VILLAGE_OPERATOR)
    @blp.response(200, schemas.DayReportOut)
    def get(self, selling_place_id, business_date):
        """A business day's Z report: so far while open; as closed, with its corrections, once closed."""
        day = _business_date(business_date)
        with get_db().transaction() as session:
            _visible_place(session, selling_place_id)
            return days.day_report(session=session, selling_place_id=selling_place_id, business_date=day)


@blp.route("/selling-places/<uuid:selling_place_id>/days/<business_date>/close")
class DayClosing(MethodView):
    @blp.arguments(schemas.DayCloseIn)
    @blp.response(201, schemas.DayReportOut)
    @blp.alt_response(200, schema=schemas.DayReportOut, description="The day was already closed: its report")
    @allow(MANAGER, VILLAGE_OPERATOR)
    def post(self, close, selling_place_id, business_date):
        """Close a business day (Z report); receipts of the day recorded later are reported as corrections."""
        day = _business_date(business_date)
        with answering_refusals("path"), get_db().transaction() as session:
            _visible_place(session, selling_place_id)
            report, created = days.close_day(
                session=session, selling_place_id=selling_place_id, business_date=day, closed_by=close.get("closed_by")
            )
        return report, 201 if created else 200


@blp.route("/products")
class Products(MethodView):
    @allow(CLERK, MANAGER, VILLAGE_OPERATOR, PRODUCER, PROVINCE_ANALYST)
    @blp.arguments(schemas.ProductQuery, location="query")
    @blp.response(200, schemas.ProductOut(many=True))
    def get(self, query):
        """The catalogue as the tills see it: find products by barcode or by name, at today's price."""
        with get_db().transaction() as session:
            return catalogue.find_products(session=session, **query)


@blp.route("/products/<uuid:product_id>")
class ProductById(MethodView):
    @allow(CLERK, MANAGER, VILLAGE_OPERATOR, PRODUCER, PROVINCE_ANALYST)
    @blp.response(200, schemas.ProductOut)
    def get(self, product_id):
        """One product as the tills see it."""
        with get_db().transaction() as session:
            product = catalogue.get_product(session=session, product_id=product_id)
        if product is None:
            abort(404, message="No such product here (yet).")
        return product
