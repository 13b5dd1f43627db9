"""Inventory's HTTP API for stock: deliveries, adjustments, stocktakes, transfers, thresholds, queries."""

from flask.views import MethodView
from flask_smorest import abort

from backbone.auth import MANAGER, PROVINCE_ANALYST, VILLAGE_OPERATOR
from backbone.web import Blueprint, allow, current_principal, get_db
from services.inventory import access, queries, stock
from services.inventory import stock_schemas as schemas
from services.inventory.api import READERS, find, run
from services.inventory.models import Producer, Product, SellingPlace, StockDocument

blp = Blueprint("stock", __name__, description="Stock on every shelf, kept as a ledger")

PLACE = "/selling-places/<uuid:selling_place_id>"

#: who writes a selling place's stock documents and thresholds (each within the places they manage)
KEEPERS = (MANAGER, VILLAGE_OPERATOR)


def _status(created: bool) -> int:
    return 201 if created else 200


def _managed_place(selling_place_id):
    """A guard for `run`: the selling place must be one the caller manages (404 otherwise: it is not theirs)."""
    principal = current_principal()
    return lambda session: find(session, SellingPlace, selling_place_id, "selling place", access.managed_places(principal))


@blp.route(f"{PLACE}/restocks")
class Restocks(MethodView):
    @allow(*KEEPERS)
    @blp.arguments(schemas.RestockIn)
    @blp.response(201, schemas.RestockOut)
    @blp.alt_response(200, schema=schemas.RestockOut, description="This delivery was already recorded")
    def post(self, body, selling_place_id):
        """Record a delivery note of goods to the selling place; publishes StockRestocked per line."""
        delivery_id, stocks, created = run(
            stock.restock, guard=_managed_place(selling_place_id), selling_place_id=selling_place_id, **body
        )
        return {"delivery_id": delivery_id, "lines": stocks}, _status(created)


@blp.route(f"{PLACE}/adjustments")
class Adjustments(MethodView):
    @allow(*KEEPERS)
    @blp.arguments(schemas.AdjustmentIn)
    @blp.response(201, schemas.AdjustmentOut)
    @blp.alt_response(200, schema=schemas.AdjustmentOut, description="This adjustment was already recorded")
    def post(self, body, selling_place_id):
        """Correct the stock for a reason (breakage, expiry, returned to producer, theft, other); publishes StockAdjusted."""
        adjustment_id, stocks, created = run(
            stock.adjust, guard=_managed_place(selling_place_id), selling_place_id=selling_place_id, **body
        )
        return {"adjustment_id": adjustment_id, "lines": stocks}, _status(created)


def _stocktake(document, lines) -> dict:
    return {
        "id": document.id,
        "selling_place_id": document.selling_place_id,
        "note": document.note,
        "created_at": document.created_at,
        "lines": lines,
    }


@blp.route(f"{PLACE}/stocktakes")
class Stocktakes(MethodView):
    @allow(*KEEPERS)
    @blp.arguments(schemas.StocktakeIn)
    @blp.response(201, schemas.StocktakeOut)
    @blp.alt_response(200, schema=schemas.StocktakeOut, description="This stocktake was already recorded")
    def post(self, body, selling_place_id):
        """Record counted quantities; each difference from the ledger is a variance movement (StockAdjusted)."""
        document, lines, created = run(
            stock.take_stock, guard=_managed_place(selling_place_id), selling_place_id=selling_place_id, **body
        )
        return _stocktake(document, lines), _status(created)


@blp.route(f"{PLACE}/stocktakes/<uuid:stocktake_id>")
class StocktakeById(MethodView):
    @allow(*KEEPERS, PROVINCE_ANALYST)
    @blp.response(200, schemas.StocktakeOut)
    def get(self, selling_place_id, stocktake_id):
        """One stocktake: what the ledger expected, what was counted."""
        with get_db().transaction() as session:
            document = find(session, StockDocument, stocktake_id, "stocktake", access.stock_documents(current_principal()))
            if document.kind != "stocktake" or document.selling_place_id != selling_place_id:
                abort(404, message="No such stocktake.")
            document, lines = stock.stocktake(session=session, stocktake_id=stocktake_id)
        return _stocktake(document, lines)


@blp.route(f"{PLACE}/transfers")
class Transfers(MethodView):
    @allow(*KEEPERS)
    @blp.arguments(schemas.TransferIn)
    @blp.response(201, schemas.TransferOut)
    @blp.alt_response(200, schema=schemas.TransferOut, description="This transfer was already recorded")
    def post(self, body, selling_place_id):
        """Move goods from this selling place (one the caller manages) to another, in any village; publishes StockTransferred."""
        transfer_id, lines, created = run(
            stock.transfer, guard=_managed_place(selling_place_id), selling_place_id=selling_place_id, **body
        )
        result = {
            "transfer_id": transfer_id,
            "from_selling_place_id": selling_place_id,
            "to_selling_place_id": body["to_selling_place_id"],
            "lines": lines,
        }
        return result, _status(created)


@blp.route(f"{PLACE}/stock")
class StockOfPlace(MethodView):
    @allow(*READERS)
    @blp.response(200, schemas.StockLineOut(many=True))
    def get(self, selling_place_id):
        """The stock of every product at the selling place (a producer's: their own), with recent sales and days of cover."""
        principal = current_principal()
        with get_db().transaction() as session:
            find(session, SellingPlace, selling_place_id, "selling place", access.selling_places(principal))
            return queries.stock_of(session=session, selling_place_id=selling_place_id, visible=access.stock(principal))


@blp.route(f"{PLACE}/stock/<uuid:product_id>")
class StockOfProduct(MethodView):
    @allow(*READERS)
    @blp.response(200, schemas.StockLineOut)
    def get(self, selling_place_id, product_id):
        """The stock of one product at the selling place."""
        with get_db().transaction() as session:
            line = queries.stock_line(
                session=session,
                selling_place_id=selling_place_id,
                product_id=product_id,
                visible=access.stock(current_principal()),
            )
        if line is None:
            abort(404, message="No such stock of this product at this selling place.")
        return line

    @allow(*KEEPERS)
    @blp.arguments(schemas.ThresholdIn)
    @blp.response(200, schemas.StockLineOut)
    def put(self, body, selling_place_id, product_id):
        """Set the reorder threshold and target level of a product at the selling place."""
        principal = current_principal()

        def guard(session) -> None:
            find(session, SellingPlace, selling_place_id, "selling place", access.managed_places(principal))
            find(session, Product, product_id, "product", access.products(principal))

        run(stock.set_threshold, guard=guard, selling_place_id=selling_place_id, product_id=product_id, **body)
        with get_db().transaction() as session:
            return queries.stock_line(session=session, selling_place_id=selling_place_id, product_id=product_id)


@blp.route(f"{PLACE}/stock/<uuid:product_id>/ledger")
class Ledger(MethodView):
    @allow(*READERS)
    @blp.response(200, schemas.MovementOut(many=True))
    def get(self, selling_place_id, product_id):
        """Every stock movement of a product at the selling place, oldest first: on hand is their sum."""
        principal = current_principal()
        with get_db().transaction() as session:
            find(session, SellingPlace, selling_place_id, "selling place", access.selling_places(principal))
            find(session, Product, product_id, "product", access.products(principal))
            return queries.ledger(session=session, selling_place_id=selling_place_id, product_id=product_id)


@blp.route("/producers/<uuid:producer_id>/stock")
class ProducerStock(MethodView):
    @allow(*READERS)
    @blp.response(200, schemas.ProducerStockOut(many=True))
    def get(self, producer_id):
        """Where a producer's goods are: their stock at every selling place the caller may see."""
        principal = current_principal()
        with get_db().transaction() as session:
            find(session, Producer, producer_id, "producer", access.producers(principal))
            return queries.producer_stock(session=session, producer_id=producer_id, visible=access.stock(principal))
