"""Stock events, published by inventory: goods arriving on shelves and running low."""

from marshmallow import fields, validate

from backbone.events import EventSchema, register
from backbone.fields import Quantity

STREAM = "stock"


class _StockEvent(EventSchema):
    selling_place_id = fields.UUID(required=True)
    product_id = fields.UUID(required=True)
    producer_id = fields.UUID(required=True)
    on_hand = Quantity(required=True)


@register("StockRestocked", 1, STREAM)
class StockRestocked(_StockEvent):
    delivery_id = fields.UUID(required=True)
    quantity = Quantity(required=True)


@register("StockLow", 1, STREAM)
class StockLow(_StockEvent):
    threshold = Quantity(required=True)
    #: counts the times this stock crossed its threshold: (selling place, product, crossing) is one alert
    crossing = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    suggested_quantity = Quantity(allow_none=True, load_default=None)


@register("StockOut", 1, STREAM)
class StockOut(_StockEvent):
    crossing = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


@register("StockDiscrepancy", 1, STREAM)
class StockDiscrepancy(_StockEvent):
    """Stock went below zero: the shelf and the ledger disagree, a stocktake is due."""
