"""Inventory's HTTP schemas for stock: deliveries, adjustments, stocktakes, transfers, thresholds, queries."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backbone.contract.stock import ADJUSTMENT_REASONS
from backbone.fields import Moment, Money, Quantity

#: reasons that only ever take goods off the shelf
LOSSES = ("breakage", "expiry", "returned_to_producer", "theft")
#: a stocktake variance is recorded by a stocktake, not by hand
MANUAL_REASONS = tuple(reason for reason in ADJUSTMENT_REASONS if reason != "stocktake_variance")

Positive = validate.Range(min=0, min_inclusive=False)
MAX_LINES = validate.Length(min=1, max=500)


def _document_id(what: str):
    return fields.UUID(load_default=None, metadata={"description": f"The {what}'s id; sending it again changes nothing."})


def _note():
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


def _no_product_twice(lines: list[dict]) -> None:
    seen = set()
    for index, line in enumerate(lines):
        if line["product_id"] in seen:
            raise ValidationError({index: {"product_id": ["This product is on an earlier line already."]}}, "lines")
        seen.add(line["product_id"])


class RestockLineIn(Schema):
    product_id = fields.UUID(required=True)
    quantity = Quantity(required=True, validate=Positive)


class RestockIn(Schema):
    delivery_id = _document_id("delivery note")
    number = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=50),
        metadata={"description": "The delivery note (DDT) number."},
    )
    note = _note()
    lines = fields.List(fields.Nested(RestockLineIn), required=True, validate=MAX_LINES)


class AdjustmentLineIn(Schema):
    product_id = fields.UUID(required=True)
    quantity = Quantity(
        required=True,
        validate=validate.NoneOf([0], error="An adjustment changes the stock: not zero."),
        metadata={"description": "The signed change: negative takes goods off the shelf."},
    )


class AdjustmentIn(Schema):
    adjustment_id = _document_id("adjustment")
    reason = fields.String(required=True, validate=validate.OneOf(MANUAL_REASONS))
    note = _note()
    lines = fields.List(fields.Nested(AdjustmentLineIn), required=True, validate=MAX_LINES)

    @validates_schema
    def _losses_take_goods_away(self, data, **_):
        if data["reason"] in LOSSES:
            for index, line in enumerate(data["lines"]):
                if line["quantity"] > 0:
                    raise ValidationError(
                        {
                            index: {
                                "quantity": [f"A loss ({data['reason']}) takes goods off the shelf: give a negative quantity."]
                            }
                        },
                        "lines",
                    )


class StocktakeLineIn(Schema):
    product_id = fields.UUID(required=True)
    counted = Quantity(required=True, validate=validate.Range(min=0))


class StocktakeIn(Schema):
    stocktake_id = _document_id("stocktake")
    note = _note()
    lines = fields.List(fields.Nested(StocktakeLineIn), required=True, validate=validate.Length(min=1, max=2000))

    @validates_schema
    def _each_product_once(self, data, **_):
        _no_product_twice(data["lines"])


class TransferIn(Schema):
    transfer_id = _document_id("transfer")
    to_selling_place_id = fields.UUID(required=True)
    note = _note()
    lines = fields.List(fields.Nested(RestockLineIn), required=True, validate=MAX_LINES)


class ThresholdIn(Schema):
    reorder_threshold = Quantity(required=True, validate=validate.Range(min=0))
    target_level = Quantity(load_default=None, allow_none=True, validate=validate.Range(min=0))


class StockOut(Schema):
    selling_place_id = fields.UUID(required=True)
    product_id = fields.UUID(required=True)
    on_hand = Quantity(required=True)
    reorder_threshold = Quantity(required=True)
    target_level = Quantity(allow_none=True)
    updated_at = Moment()


class StockLineOut(StockOut):
    producer_id = fields.UUID(required=True)
    product_name = fields.String(required=True)
    unit = fields.String(required=True)
    active = fields.Boolean(required=True, metadata={"description": "False once the product is retired."})
    low = fields.Boolean(required=True, metadata={"description": "In a low-stock episode (an alert went out)."})
    low_reason = fields.String(allow_none=True)
    daily_sales = Quantity(allow_none=True, metadata={"description": "Sold a day, recently; null without sales."})
    days_of_cover = Quantity(allow_none=True, metadata={"description": "Days the stock lasts at that rate."})
    value = Money(allow_none=True, metadata={"description": "What the goods sell for at today's price."})


class ProducerStockOut(StockLineOut):
    selling_place_name = fields.String(required=True)
    village_id = fields.UUID(required=True)
    village_name = fields.String(required=True)


class RestockOut(Schema):
    delivery_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(StockOut), required=True)


class AdjustmentOut(Schema):
    adjustment_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(StockOut), required=True)


class StocktakeLineOut(Schema):
    product_id = fields.UUID(required=True)
    expected = Quantity(required=True, metadata={"description": "What the ledger said when the count was recorded."})
    counted = Quantity(required=True)
    variance = Quantity(required=True)


class StocktakeOut(Schema):
    id = fields.UUID(required=True, data_key="stocktake_id")
    selling_place_id = fields.UUID(required=True)
    note = fields.String(allow_none=True)
    created_at = Moment(required=True)
    lines = fields.List(fields.Nested(StocktakeLineOut), required=True)


class TransferLineOut(Schema):
    product_id = fields.UUID(required=True)
    quantity = Quantity(required=True)
    on_hand_from = Quantity(required=True)
    on_hand_to = Quantity(required=True)


class TransferOut(Schema):
    transfer_id = fields.UUID(required=True)
    from_selling_place_id = fields.UUID(required=True)
    to_selling_place_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(TransferLineOut), required=True)


class MovementOut(Schema):
    id = fields.Integer()
    quantity = Quantity()
    cause = fields.String(metadata={"description": "restock, sale, refund, adjustment, stocktake, transfer_in, transfer_out"})
    reason = fields.String(allow_none=True)
    reference = fields.UUID(allow_none=True, metadata={"description": "The delivery, receipt, refund, ... it belongs to."})
    event_id = fields.UUID(allow_none=True, metadata={"description": "The consumed event that caused it, if any."})
    occurred_at = Moment()
    created_at = Moment()
