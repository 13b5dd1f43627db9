"""Stock events, published by inventory: goods arriving, moving, running low, counted."""

from marshmallow import fields, validate

from backbone.events import EventSchema, register
from backbone.fields import Quantity

STREAM = "stock"

ADJUSTMENT_REASONS = ("breakage", "expiry", "returned_to_producer", "theft", "stocktake_variance", "other")


class _StockEvent(EventSchema):
    selling_place_id = fields.UUID(required=True)
    product_id = fields.UUID(required=True)
    producer_id = fields.UUID(required=True)
    on_hand = Quantity(required=True)


@register("StockRestocked", 1, STREAM)
class StockRestocked(_StockEvent):
    delivery_id = fields.UUID(required=True)
    quantity = Quantity(required=True)


@register("StockAdjusted", 1, STREAM)
class StockAdjusted(_StockEvent):
    """Stock corrected by hand or by a stocktake: `quantity` is the signed change."""

    adjustment_id = fields.UUID(required=True)
    quantity = Quantity(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(ADJUSTMENT_REASONS))
    note = fields.String(allow_none=True, load_default=None)


@register("StockTransferred", 1, STREAM)
class StockTransferred(EventSchema):
    """A producer's goods moved from one selling place to another."""

    transfer_id = fields.UUID(required=True)
    product_id = fields.UUID(required=True)
    producer_id = fields.UUID(required=True)
    from_selling_place_id = fields.UUID(required=True)
    to_selling_place_id = fields.UUID(required=True)
    quantity = Quantity(required=True)
    on_hand_from = Quantity(required=True)
    on_hand_to = Quantity(required=True)


@register("StockLow", 1, STREAM)
class StockLow(_StockEvent):
    threshold = Quantity(required=True)
    #: counts the times this stock crossed into "low": (selling place, product, crossing) is one alert
    crossing = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    suggested_quantity = Quantity(allow_none=True, load_default=None)
    #: "threshold" (fell to the threshold) or "days_of_cover" (will run out before a delivery can come)
    reason = fields.String(load_default="threshold", validate=validate.OneOf(("threshold", "days_of_cover")))
    #: days the stock lasts at the recent sales rate; None without a sales history
    days_of_cover = Quantity(allow_none=True, load_default=None)


@register("StockOut", 1, STREAM)
class StockOut(_StockEvent):
    crossing = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


@register("StockDiscrepancy", 1, STREAM)
class StockDiscrepancy(_StockEvent):
    """Stock went below zero: the shelf and the ledger disagree, a stocktake is due."""
