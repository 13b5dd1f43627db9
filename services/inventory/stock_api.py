"""Inventory's HTTP API for stock: deliveries, adjustments, stocktakes, transfers, thresholds, queries."""

from flask.views import MethodView
from flask_smorest import abort

from backbone.web import Blueprint
from services.inventory import queries, service, stock
from services.inventory import stock_schemas as schemas
from services.inventory.api import get_or_404, read, run
from services.inventory.models import Producer, Product, SellingPlace

blp = Blueprint("stock", __name__, description="Stock on every shelf, kept as a ledger")

PLACE = "/selling-places/<uuid:selling_place_id>"


def _status(created: bool) -> int:
    return 201 if created else 200


@blp.route(f"{PLACE}/restocks")
class Restocks(MethodView):
    @blp.arguments(schemas.RestockIn)
    @blp.response(201, schemas.RestockOut)
    @blp.alt_response(200, schema=schemas.RestockOut, description="This delivery was already recorded")
    def post(self, body, selling_place_id):
        """Record a delivery note of goods to the selling place; publishes StockRestocked per line."""
        get_or_404(SellingPlace, selling_place_id, "selling place")
        delivery_id, stocks, created = run(stock.restock, selling_place_id=selling_place_id, **body)
        return {"delivery_id": delivery_id, "lines": stocks}, _status(created)


@blp.route(f"{PLACE}/adjustments")
class Adjustments(MethodView):
    @blp.arguments(schemas.AdjustmentIn)
    @blp.response(201, schemas.AdjustmentOut)
    @blp.alt_response(200, schema=schemas.AdjustmentOut, description="This adjustment was already recorded")
    def post(self, body, selling_place_id):
        """Correct the stock for a reason (breakage, expiry, returned to producer, theft, other); publishes StockAdjusted."""
        get_or_404(SellingPlace, selling_place_id, "selling place")
        adjustment_id, stocks, created = run(stock.adjust, selling_place_id=selling_place_id, **body)
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
    @blp.arguments(schemas.StocktakeIn)
    @blp.response(201, schemas.StocktakeOut)
    @blp.alt_response(200, schema=schemas.StocktakeOut, description="This stocktake was already recorded")
    def post(self, body, selling_place_id):
        """Record counted quantities; each difference from the ledger is a variance movement (StockAdjusted)."""
        get_or_404(SellingPlace, selling_place_id, "selling place")
        document, lines, created = run(stock.take_stock, selling_place_id=selling_place_id, **body)
        return _stocktake(document, lines), _status(created)


@blp.route(f"{PLACE}/stocktakes/<uuid:stocktake_id>")
class StocktakeById(MethodView):
    @blp.response(200, schemas.StocktakeOut)
    def get(self, selling_place_id, stocktake_id):
        """One stocktake: what the ledger expected, what was counted."""
        try:
            document, lines = read(stock.stocktake, stocktake_id=stocktake_id)
        except service.NotFound:
            abort(404, message="No such stocktake.")
        if document.selling_place_id != selling_place_id:
            abort(404, message="No such stocktake.")
        return _stocktake(document, lines)


@blp.route(f"{PLACE}/transfers")
class Transfers(MethodView):
    @blp.arguments(schemas.TransferIn)
    @blp.response(201, schemas.TransferOut)
    @blp.alt_response(200, schema=schemas.TransferOut, description="This transfer was already recorded")
    def post(self, body, selling_place_id):
        """Move goods from this selling place to another; publishes StockTransferred per line."""
        get_or_404(SellingPlace, selling_place_id, "selling place")
        transfer_id, lines, created = run(stock.transfer, selling_place_id=selling_place_id, **body)
        result = {
            "transfer_id": transfer_id,
            "from_selling_place_id": selling_place_id,
            "to_selling_place_id": body["to_selling_place_id"],
            "lines": lines,
        }
        return result, _status(created)


@blp.route(f"{PLACE}/stock")
class StockOfPlace(MethodView):
    @blp.response(200, schemas.StockLineOut(many=True))
    def get(self, selling_place_id):
        """The stock of every product at the selling place, with its recent sales and days of cover."""
        get_or_404(SellingPlace, selling_place_id, "selling place")
        return read(queries.stock_of, selling_place_id=selling_place_id)


@blp.route(f"{PLACE}/stock/<uuid:product_id>")
class StockOfProduct(MethodView):
    @blp.response(200, schemas.StockLineOut)
    def get(self, selling_place_id, product_id):
        """The stock of one product at the selling place."""
        line = read(queries.stock_line, selling_place_id=selling_place_id, product_id=product_id)
        if line is None:
            abort(404, message="No such stock of this product at this selling place.")
        return line

    @blp.arguments(schemas.ThresholdIn)
    @blp.response(200, schemas.StockLineOut)
    def put(self, body, selling_place_id, product_id):
        """Set the reorder threshold and target level of a product at the selling place."""
        get_or_404(SellingPlace, selling_place_id, "selling place")
        get_or_404(Product, product_id, "product")
        run(stock.set_threshold, selling_place_id=selling_place_id, product_id=product_id, **body)
        return read(queries.stock_line, selling_place_id=selling_place_id, product_id=product_id)


@blp.route(f"{PLACE}/stock/<uuid:product_id>/ledger")
class Ledger(MethodView):
    @blp.response(200, schemas.MovementOut(many=True))
    def get(self, selling_place_id, product_id):
        """Every stock movement of a product at the selling place, oldest first: on hand is their sum."""
        get_or_404(SellingPlace, selling_place_id, "selling place")
        return read(queries.ledger, selling_place_id=selling_place_id, product_id=product_id)


@blp.route("/producers/<uuid:producer_id>/stock")
class ProducerStock(MethodView):
    @blp.response(200, schemas.ProducerStockOut(many=True))
    def get(self, producer_id):
        """Where a producer's goods are: their stock at every selling place."""
        get_or_404(Producer, producer_id, "producer")
        return read(queries.producer_stock, producer_id=producer_id)
