"""Inventory's HTTP API for the catalogue: thin views over service.py."""

import sqlalchemy as sa
import structlog
from flask import current_app
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import RAISE

from backbone.auth import CLERK, MANAGER, PRODUCER, PROVINCE_ANALYST, VILLAGE_OPERATOR
from backbone.web import Blueprint, allow, current_principal, get_db, invalid
from services.inventory import access, imports, schemas, service
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


#: every role but the administrator's (who may always): those that read the catalogue, each within their scope
READERS = (CLERK, MANAGER, PRODUCER, VILLAGE_OPERATOR, PROVINCE_ANALYST)


def run(use_case, *, guard=None, **kwargs):
    """Run a use case in one transaction; a refusal rolls it back whole and answers 4xx naming the field.

    `guard(session)` runs first, in the same transaction: it answers 404 or 403 for what the caller
    may not touch. A transaction PostgreSQL chose as a deadlock victim is run again: nothing of it was written.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with get_db().transaction() as session:
                if guard is not None:
                    guard(session)
                return use_case(session=session, **kwargs)
        except sa.exc.OperationalError as error:
            if getattr(error.orig, "sqlstate", None) not in RETRYABLE or attempt == ATTEMPTS:
                raise
            log.warning("transaction rolled back by the database, running it again", attempt=attempt, error=str(error.orig)[:200])
        except (service.NotFound, service.Invalid) as error:
            invalid(error.field, error.message)
        except service.Conflict as error:
            abort(409, message=error.message, errors={"json": _errors(error.field, error.message)})
        except access.Forbidden as error:
            abort(403, message=error.message)


def read(query, **kwargs):
    """Run a read-only query in its own transaction."""
    with get_db().transaction() as session:
        return query(session=session, **kwargs)


def find(session, model, object_id, what: str, visible):
    """The object with this id if the caller may see it (`visible`), else a 404 naming what was looked for.

    An object outside the caller's scope is answered exactly as one that does not exist.
    """
    found = session.scalar(sa.select(model).where(model.id == object_id, visible))
    if found is None:
        abort(404, message=f"No such {what}.")
    return found


def get_or_404(model, object_id, what: str, visible):
    """`find` in a transaction of its own."""
    with get_db().transaction() as session:
        return find(session, model, object_id, what, visible)


def may_change(model, object_id, what: str, *, visible, managed):
    """A guard for `run`: 404 if the caller cannot see the object, 403 if they see it but may not change it."""

    def check(session) -> None:
        find(session, model, object_id, what, visible)
        if session.scalar(sa.select(model.id).where(model.id == object_id, managed)) is None:
            raise access.Forbidden(f"This {what} is not yours to change.")

    return check


def _in_own_village(body: dict, field: str) -> None:
    """A village operator's new place or producer is in their own village: 403 if the body names another."""
    try:
        access.own_village(current_principal(), body, field)
    except access.Forbidden as error:
        abort(403, message=error.message)


def _priced(products):
    with get_db().transaction() as session:
        return service.priced(session, products)


@blp.route("/sectors")
class Sectors(MethodView):
    @allow(*READERS)
    @blp.response(200, schemas.SectorsOut)
    def get(self):
        """The sectors producers and products belong to (set in the service's configuration)."""
        return {"sectors": list(current_app.config["SECTORS"])}


@blp.route("/villages")
class Villages(MethodView):
    @allow(*READERS)
    @blp.arguments(schemas.VillageQuery, location="query")
    @blp.response(200, schemas.VillageOut(many=True))
    def get(self, query):
        """The villages of the network the caller may see, by name (optionally the one with an ISTAT code)."""
        return read(service.villages, visible=access.villages(current_principal()), **query)

    @allow()
    @blp.arguments(schemas.VillageIn)
    @blp.response(201, schemas.VillageOut)
    def post(self, body):
        """Add a village to the network (administrators)."""
        return run(service.register_village, **body)


@blp.route("/villages/<uuid:village_id>")
class VillageById(MethodView):
    @allow(*READERS)
    @blp.response(200, schemas.VillageOut)
    def get(self, village_id):
        """One village."""
        return get_or_404(Village, village_id, "village", access.villages(current_principal()))


@blp.route("/selling-places")
class SellingPlaces(MethodView):
    @allow(*READERS)
    @blp.arguments(schemas.SellingPlaceQuery, location="query")
    @blp.response(200, schemas.SellingPlaceOut(many=True))
    def get(self, query):
        """The selling places the caller may see, or those of one village."""
        return read(service.selling_places, visible=access.selling_places(current_principal()), **query)

    @allow(VILLAGE_OPERATOR)
    @blp.arguments(schemas.SellingPlaceIn)
    @blp.response(201, schemas.SellingPlaceOut)
    def post(self, body):
        """Open a selling place in a village (a village operator's own)."""
        _in_own_village(body, "village_id")
        return run(service.register_selling_place, **body)


@blp.route("/selling-places/<uuid:selling_place_id>")
class SellingPlaceById(MethodView):
    @allow(*READERS)
    @blp.response(200, schemas.SellingPlaceOut)
    def get(self, selling_place_id):
        """One selling place."""
        return get_or_404(SellingPlace, selling_place_id, "selling place", access.selling_places(current_principal()))


@blp.route("/producers")
class Producers(MethodView):
    @allow(*READERS)
    @blp.arguments(schemas.ProducerQuery, location="query")
    @blp.response(200, schemas.ProducerOut(many=True))
    def get(self, query):
        """The producers the caller may see, optionally of one home village, sector or VAT number."""
        return read(service.producers, visible=access.producers(current_principal()), **query)

    @allow(VILLAGE_OPERATOR)
    @blp.arguments(schemas.ProducerIn)
    @blp.response(201, schemas.ProducerOut)
    def post(self, body):
        """Register a producer: one identity in every village (a village operator's are at home in their village)."""
        _in_own_village(body, "home_village_id")
        return run(service.register_producer, **body)


def _change_producer(producer_id, changes: dict):
    principal = current_principal()

    def guard(session) -> None:
        may_change(
            Producer, producer_id, "producer", visible=access.producers(principal), managed=access.managed_producers(principal)
        )(session)
        access.own_village(principal, changes, "home_village_id")

    return run(service.update_producer, guard=guard, producer_id=producer_id, changes=changes)


@blp.route("/producers/<uuid:producer_id>")
class ProducerById(MethodView):
    @allow(*READERS)
    @blp.response(200, schemas.ProducerOut)
    def get(self, producer_id):
        """One producer."""
        return get_or_404(Producer, producer_id, "producer", access.producers(current_principal()))

    @allow(VILLAGE_OPERATOR)
    @blp.arguments(schemas.ProducerIn)
    @blp.response(200, schemas.ProducerOut)
    def put(self, body, producer_id):
        """Replace a producer's details (fields left out take their defaults); publishes ProducerUpdated."""
        return _change_producer(producer_id, body)

    @allow(VILLAGE_OPERATOR)
    @blp.arguments(schemas.ProducerChanges(partial=True))
    @blp.response(200, schemas.ProducerOut)
    def patch(self, body, producer_id):
        """Change some of a producer's details; publishes ProducerUpdated if anything changed."""
        return _change_producer(producer_id, body)


def _own_producer(producer_id):
    """A guard: a village operator adds products only to the producers of their village (403 otherwise)."""
    principal = current_principal()

    def check(session) -> None:
        if principal.is_admin:
            return  # an unknown producer is answered 422 by the use case
        if session.scalar(sa.select(Producer.id).where(Producer.id == producer_id, access.managed_producers(principal))) is None:
            raise access.Forbidden("A village operator adds products to the producers of their own village only.")

    return check


@blp.route("/products")
class Products(MethodView):
    @allow(*READERS)
    @blp.arguments(schemas.ProductQuery, location="query")
    @blp.response(200, schemas.ProductOut(many=True))
    def get(self, query):
        """The products the caller may see, found by barcode, SKU, producer, or whether they are still sold."""
        with get_db().transaction() as session:
            return service.priced(
                session, service.products(session=session, visible=access.products(current_principal()), **query)
            )

    @allow(VILLAGE_OPERATOR)
    @blp.arguments(schemas.ProductIn)
    @blp.response(201, schemas.ProductOut)
    def post(self, body):
        """Add a product to a producer's catalogue (a village operator: of a producer of their village)."""
        return _priced([run(service.register_product, guard=_own_producer(body["producer_id"]), **body)])[0]


def _may_change_product(product_id):
    principal = current_principal()
    return may_change(
        Product, product_id, "product", visible=access.products(principal), managed=access.managed_products(principal)
    )


@blp.route("/products/<uuid:product_id>")
class ProductById(MethodView):
    @allow(*READERS)
    @blp.response(200, schemas.ProductOut)
    def get(self, product_id):
        """One product, at the price in effect now."""
        return _priced([get_or_404(Product, product_id, "product", access.products(current_principal()))])[0]


@blp.route("/products/<uuid:product_id>/prices")
class Prices(MethodView):
    @allow(*READERS)
    @blp.response(200, schemas.PriceOut(many=True))
    def get(self, product_id):
        """A product's prices, oldest first, including changes still to take effect."""
        with get_db().transaction() as session:
            find(session, Product, product_id, "product", access.products(current_principal()))
            return service.price_history(session=session, product_id=product_id)

    @allow(VILLAGE_OPERATOR)
    @blp.arguments(schemas.PriceChangeIn)
    @blp.response(201, schemas.PriceOut)
    def post(self, body, product_id):
        """Change a product's price from a moment on (now if not given); publishes PriceChanged."""
        return run(service.change_price, guard=_may_change_product(product_id), product_id=product_id, **body)


@blp.route("/products/<uuid:product_id>/retire")
class Retire(MethodView):
    @allow(VILLAGE_OPERATOR)
    @blp.response(200, schemas.ProductOut)
    def post(self, product_id):
        """Retire a product: no longer delivered or sold; its history and the goods on shelves stay."""
        return _priced([run(service.retire_product, guard=_may_change_product(product_id), product_id=product_id)])[0]


class _DryRun(Exception):
    def __init__(self, result):
        super().__init__("dry run")
        self.result = result


@blp.route("/imports")
class Imports(MethodView):
    @allow(VILLAGE_OPERATOR)
    @blp.arguments(schemas.ImportQuery, location="query")
    @blp.arguments(schemas.ImportFiles, location="files", unknown=RAISE)
    @blp.response(201, schemas.ImportOut)
    @blp.alt_response(200, schema=schemas.ImportOut, description="A dry run: every row is valid, nothing was written")
    def post(self, query, files):
        """Import producers and products from CSV files (multipart fields `producers`, `products`): all rows or none.

        A village operator imports for their own village: producers at home there, products of its producers.
        """
        try:
            village_id = access.scope_village(current_principal())
        except access.Forbidden as error:
            abort(403, message=error.message)
        content = {name: upload.read() for name, upload in files.items() if upload is not None}
        try:
            with get_db().transaction() as session:
                imported = imports.import_catalogue(session=session, village_id=village_id, **content)
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
        except imports.ImportForbidden as forbidden:
            abort(403, message=f"Nothing was imported: {forbidden}.", errors={"files": forbidden.errors})
        except imports.ImportRefused as refused:
            abort(422, message=f"Nothing was imported: {refused}.", errors={"files": refused.errors})
        return result, 201
