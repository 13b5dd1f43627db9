"""Inventory's HTTP API for the catalogue: thin views over service.py."""

import sqlalchemy as sa
import structlog
from flask import current_app
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import RAISE

from backbone.web import Blueprint, get_db, invalid
from services.inventory import imports, schemas, service
from services.inventory.models import Producer, Product, SellingPlace, Village

log = structlog.get_logger("inventory.api")

blp = Blueprint("catalogue", __name__, description="The network: villages, selling places, producers, products")


def _errors(path: str | tuple, message: str) -> dict:
    """marshmallow's error shape for one message at `path`, e.g. ("lines", 0, "product_id")."""
    errors: object = [message]
    for part in reversed((path,) if isinstance(path, str) else path):
        errors = {part: errors}
    return errors


#: PostgreSQL's deadlock and serialization failures: the transaction was rolled back, it may simply run again
RETRYABLE = ("40P01", "40001")
ATTEMPTS = 3


def run(use_case, **kwargs):
    """Run a use case in one transaction; a refusal rolls it back whole and answers 4xx naming the field.

    A transaction PostgreSQL chose as a deadlock victim is run again: nothing of it was written.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with get_db().transaction() as session:
                return use_case(session=session, **kwargs)
        except sa.exc.OperationalError as error:
            if getattr(error.orig, "sqlstate", None) not in RETRYABLE or attempt == ATTEMPTS:
                raise
            log.warning("transaction rolled back by the database, running it again", attempt=attempt, error=str(error.orig)[:200])
        except (service.NotFound, service.Invalid) as error:
            invalid(error.field, error.message)
        except service.Conflict as error:
            abort(409, message=error.message, errors={"json": _errors(error.field, error.message)})


def read(query, **kwargs):
    """Run a read-only query in its own transaction."""
    with get_db().transaction() as session:
        return query(session=session, **kwargs)


def get_or_404(model, object_id, what: str):
    """The object with this id, or a 404 naming what was looked for."""
    with get_db().transaction() as session:
        found = session.get(model, object_id)
    if found is None:
        abort(404, message=f"No such {what}.")
    return found


def _priced(products):
    with get_db().transaction() as session:
        return service.priced(session, products)


@blp.route("/sectors")
class Sectors(MethodView):
    @blp.response(200, schemas.SectorsOut)
    def get(self):
        """The sectors producers and products belong to (set in the service's configuration)."""
        return {"sectors": list(current_app.config["SECTORS"])}


@blp.route("/villages")
class Villages(MethodView):
    @blp.arguments(schemas.VillageQuery, location="query")
    @blp.response(200, schemas.VillageOut(many=True))
    def get(self, query):
        """The villages of the network, by name (optionally the one with an ISTAT code)."""
        return read(service.villages, **query)

    @blp.arguments(schemas.VillageIn)
    @blp.response(201, schemas.VillageOut)
    def post(self, body):
        """Add a village to the network."""
        return run(service.register_village, **body)


@blp.route("/villages/<uuid:village_id>")
class VillageById(MethodView):
    @blp.response(200, schemas.VillageOut)
    def get(self, village_id):
        """One village."""
        return get_or_404(Village, village_id, "village")


@blp.route("/selling-places")
class SellingPlaces(MethodView):
    @blp.arguments(schemas.SellingPlaceQuery, location="query")
    @blp.response(200, schemas.SellingPlaceOut(many=True))
    def get(self, query):
        """The selling places of the network, or of one village."""
        return read(service.selling_places, **query)

    @blp.arguments(schemas.SellingPlaceIn)
    @blp.response(201, schemas.SellingPlaceOut)
    def post(self, body):
        """Open a selling place in a village."""
        return run(service.register_selling_place, **body)


@blp.route("/selling-places/<uuid:selling_place_id>")
class SellingPlaceById(MethodView):
    @blp.response(200, schemas.SellingPlaceOut)
    def get(self, selling_place_id):
        """One selling place."""
        return get_or_404(SellingPlace, selling_place_id, "selling place")


@blp.route("/producers")
class Producers(MethodView):
    @blp.arguments(schemas.ProducerQuery, location="query")
    @blp.response(200, schemas.ProducerOut(many=True))
    def get(self, query):
        """The producers of the network, optionally of one home village, sector or VAT number."""
        return read(service.producers, **query)

    @blp.arguments(schemas.ProducerIn)
    @blp.response(201, schemas.ProducerOut)
    def post(self, body):
        """Register a producer: one identity in every village."""
        return run(service.register_producer, **body)


@blp.route("/producers/<uuid:producer_id>")
class ProducerById(MethodView):
    @blp.response(200, schemas.ProducerOut)
    def get(self, producer_id):
        """One producer."""
        return get_or_404(Producer, producer_id, "producer")

    @blp.arguments(schemas.ProducerIn)
    @blp.response(200, schemas.ProducerOut)
    def put(self, body, producer_id):
        """Replace a producer's details (fields left out take their defaults); publishes ProducerUpdated."""
        get_or_404(Producer, producer_id, "producer")
        return run(service.update_producer, producer_id=producer_id, changes=body)

    @blp.arguments(schemas.ProducerChanges(partial=True))
    @blp.response(200, schemas.ProducerOut)
    def patch(self, body, producer_id):
        """Change some of a producer's details; publishes ProducerUpdated if anything changed."""
        get_or_404(Producer, producer_id, "producer")
        return run(service.update_producer, producer_id=producer_id, changes=body)


@blp.route("/products")
class Products(MethodView):
    @blp.arguments(schemas.ProductQuery, location="query")
    @blp.response(200, schemas.ProductOut(many=True))
    def get(self, query):
        """Products, found by barcode, SKU, producer, or whether they are still sold."""
        with get_db().transaction() as session:
            return service.priced(session, service.products(session=session, **query))

    @blp.arguments(schemas.ProductIn)
    @blp.response(201, schemas.ProductOut)
    def post(self, body):
        """Add a product to a producer's catalogue."""
        return _priced([run(service.register_product, **body)])[0]


@blp.route("/products/<uuid:product_id>")
class ProductById(MethodView):
    @blp.response(200, schemas.ProductOut)
    def get(self, product_id):
        """One product, at the price in effect now."""
        return _priced([get_or_404(Product, product_id, "product")])[0]


@blp.route("/products/<uuid:product_id>/prices")
class Prices(MethodView):
    @blp.response(200, schemas.PriceOut(many=True))
    def get(self, product_id):
        """A product's prices, oldest first, including changes still to take effect."""
        get_or_404(Product, product_id, "product")
        return read(service.price_history, product_id=product_id)

    @blp.arguments(schemas.PriceChangeIn)
    @blp.response(201, schemas.PriceOut)
    def post(self, body, product_id):
        """Change a product's price from a moment on (now if not given); publishes PriceChanged."""
        get_or_404(Product, product_id, "product")
        return run(service.change_price, product_id=product_id, **body)


@blp.route("/products/<uuid:product_id>/retire")
class Retire(MethodView):
    @blp.response(200, schemas.ProductOut)
    def post(self, product_id):
        """Retire a product: no longer delivered or sold; its history and the goods on shelves stay."""
        get_or_404(Product, product_id, "product")
        return _priced([run(service.retire_product, product_id=product_id)])[0]


class _DryRun(Exception):
    def __init__(self, result):
        super().__init__("dry run")
        self.result = result


@blp.route("/imports")
class Imports(MethodView):
    @blp.arguments(schemas.ImportQuery, location="query")
    @blp.arguments(schemas.ImportFiles, location="files", unknown=RAISE)
    @blp.response(201, schemas.ImportOut)
    @blp.alt_response(200, schema=schemas.ImportOut, description="A dry run: every row is valid, nothing was written")
    def post(self, query, files):
        """Import producers and products from CSV files (multipart fields `producers`, `products`): all rows or none."""
        content = {name: upload.read() for name, upload in files.items() if upload is not None}
        try:
            with get_db().transaction() as session:
                imported = imports.import_catalogue(session=session, **content)
                # read everything before a dry run rolls back (which would expire the objects)
                result = {
                    "dry_run": query["dry_run"],
                    "producers": [service.as_dict(producer) for producer in imported.producers],
                    "products": service.priced(session, imported.products),
                }
                if query["dry_run"]:
                    raise _DryRun(result)
        except _DryRun as dry_run:
            return dry_run.result, 200
        except imports.ImportRefused as refused:
            abort(422, message=f"Nothing was imported: {refused}.", errors={"files": refused.errors})
        return result, 201
