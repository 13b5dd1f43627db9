"""Inventory's HTTP API: thin views over service.py."""

import uuid

from flask.views import MethodView
from flask_smorest import abort

from backbone.web import Blueprint, get_db, invalid
from services.inventory import schemas, service
from services.inventory.models import Producer, Product, SellingPlace, Stock, Village

blp = Blueprint("inventory", __name__, description="Catalogue and stock of the selling places")


def _run(use_case, **kwargs):
    """Run a use case in one transaction; a refusal rolls it back whole and answers 4xx naming the field."""
    try:
        with get_db().transaction() as session:
            return use_case(session=session, **kwargs)
    except service.NotFound as error:
        invalid(error.field, f"Unknown {error.what}.")
    except service.Conflict as error:
        abort(409, message=error.message, errors={"json": {error.field: [error.message]}})


def _get(model, object_id: uuid.UUID, what: str):
    with get_db().transaction() as session:
        found = session.get(model, object_id)
    if found is None:
        abort(404, message=f"No such {what}.")
    return found


@blp.route("/villages")
class Villages(MethodView):
    @blp.arguments(schemas.VillageQuery, location="query")
    @blp.response(200, schemas.VillageOut(many=True))
    def get(self, query):
        """The villages of the network, by name (optionally the one with an ISTAT code)."""
        with get_db().transaction() as session:
            return service.villages(session=session, **query)

    @blp.arguments(schemas.VillageIn)
    @blp.response(201, schemas.VillageOut)
    def post(self, body):
        """Add a village to the network."""
        return _run(service.register_village, **body)


@blp.route("/villages/<uuid:village_id>")
class VillageById(MethodView):
    @blp.response(200, schemas.VillageOut)
    def get(self, village_id):
        """One village."""
        return _get(Village, village_id, "village")


@blp.route("/selling-places")
class SellingPlaces(MethodView):
    @blp.arguments(schemas.SellingPlaceIn)
    @blp.response(201, schemas.SellingPlaceOut)
    def post(self, body):
        """Open a selling place in a village."""
        return _run(service.register_selling_place, **body)


@blp.route("/selling-places/<uuid:selling_place_id>")
class SellingPlaceById(MethodView):
    @blp.response(200, schemas.SellingPlaceOut)
    def get(self, selling_place_id):
        """One selling place."""
        return _get(SellingPlace, selling_place_id, "selling place")


@blp.route("/producers")
class Producers(MethodView):
    @blp.arguments(schemas.ProducerIn)
    @blp.response(201, schemas.ProducerOut)
    def post(self, body):
        """Register a producer."""
        return _run(service.register_producer, **body)


@blp.route("/producers/<uuid:producer_id>")
class ProducerById(MethodView):
    @blp.response(200, schemas.ProducerOut)
    def get(self, producer_id):
        """One producer."""
        return _get(Producer, producer_id, "producer")


@blp.route("/products")
class Products(MethodView):
    @blp.arguments(schemas.ProductIn)
    @blp.response(201, schemas.ProductOut)
    def post(self, body):
        """Add a product to a producer's catalogue."""
        return _run(service.register_product, **body)


@blp.route("/products/<uuid:product_id>")
class ProductById(MethodView):
    @blp.response(200, schemas.ProductOut)
    def get(self, product_id):
        """One product."""
        return _get(Product, product_id, "product")


@blp.route("/selling-places/<uuid:selling_place_id>/restocks")
class Restocks(MethodView):
    @blp.arguments(schemas.RestockIn)
    @blp.response(201, schemas.RestockOut)
    @blp.alt_response(200, schema=schemas.RestockOut, description="This delivery was already recorded")
    def post(self, body, selling_place_id):
        """Record a delivery of goods to the selling place."""
        _get(SellingPlace, selling_place_id, "selling place")
        delivery_id, stocks, created = _run(service.restock, selling_place_id=selling_place_id, **body)
        return {"delivery_id": delivery_id, "lines": stocks}, 201 if created else 200


@blp.route("/selling-places/<uuid:selling_place_id>/stock")
class StockOfPlace(MethodView):
    @blp.response(200, schemas.StockOut(many=True))
    def get(self, selling_place_id):
        """The stock of every product at the selling place."""
        _get(SellingPlace, selling_place_id, "selling place")
        return _run(service.stock_of, selling_place_id=selling_place_id)


@blp.route("/selling-places/<uuid:selling_place_id>/stock/<uuid:product_id>")
class StockOfProduct(MethodView):
    @blp.response(200, schemas.StockOut)
    def get(self, selling_place_id, product_id):
        """The stock of one product at the selling place."""
        return _get(Stock, (selling_place_id, product_id), "stock of this product at this selling place")

    @blp.arguments(schemas.ThresholdIn)
    @blp.response(200, schemas.StockOut)
    def put(self, body, selling_place_id, product_id):
        """Set the reorder threshold and target level of a product at the selling place."""
        _get(SellingPlace, selling_place_id, "selling place")
        _get(Product, product_id, "product")
        return _run(service.set_threshold, selling_place_id=selling_place_id, product_id=product_id, **body)


@blp.route("/selling-places/<uuid:selling_place_id>/stock/<uuid:product_id>/ledger")
class Ledger(MethodView):
    @blp.response(200, schemas.MovementOut(many=True))
    def get(self, selling_place_id, product_id):
        """Every stock movement of a product at the selling place, oldest first."""
        _get(SellingPlace, selling_place_id, "selling place")
        return _run(service.ledger, selling_place_id=selling_place_id, product_id=product_id)
