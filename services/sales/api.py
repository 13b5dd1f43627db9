"""Sales' HTTP API: the shops post their receipts here."""

from flask.views import MethodView
from flask_smorest import abort

from backbone.web import Blueprint, get_db, invalid
from services.sales import schemas, service
from services.sales.models import CatalogueProduct

blp = Blueprint("sales", __name__, description="Receipts from the selling places")


@blp.route("/receipts")
class Receipts(MethodView):
    @blp.arguments(schemas.ReceiptIn)
    @blp.response(201, schemas.ReceiptOut)
    @blp.alt_response(200, schema=schemas.ReceiptOut, description="This receipt was already recorded: the original")
    @blp.alt_response(409, description="This receipt id was already used for a different sale")
    def post(self, receipt):
        """Record a sale; posting the same receipt again records nothing new."""
        try:
            with get_db().transaction() as session:
                recorded, created = service.record_receipt(session=session, receipt=receipt)
        except service.ReceiptConflict as error:
            abort(409, message=str(error), errors={"json": {"receipt_id": ["Already used for a different sale."]}})
        except service.Unpriceable as error:
            invalid(error.field, error.message)
        return recorded, 201 if created else 200


@blp.route("/receipts/<uuid:receipt_id>")
class ReceiptById(MethodView):
    @blp.response(200, schemas.ReceiptOut)
    def get(self, receipt_id):
        """One receipt with its lines."""
        with get_db().transaction() as session:
            receipt = service.get_receipt(session=session, receipt_id=receipt_id)
        if receipt is None:
            abort(404, message="No such receipt.")
        return receipt


@blp.route("/products")
class Products(MethodView):
    @blp.arguments(schemas.ProductQuery, location="query")
    @blp.response(200, schemas.ProductOut(many=True))
    def get(self, query):
        """The catalogue as the tills see it: find products by barcode or by name."""
        with get_db().transaction() as session:
            return service.find_products(session=session, **query)


@blp.route("/products/<uuid:product_id>")
class ProductById(MethodView):
    @blp.response(200, schemas.ProductOut)
    def get(self, product_id):
        """One product as the tills see it."""
        with get_db().transaction() as session:
            product = session.get(CatalogueProduct, product_id)
        if product is None:
            abort(404, message="No such product here (yet).")
        return product
