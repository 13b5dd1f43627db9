"""Sales events, published by sales: what was sold, where, when and whose it was."""

from marshmallow import fields, validate

from backbone.events import EventSchema, register
from backbone.fields import Money, Percent, Quantity

STREAM = "sales"

PAYMENT_METHODS = ("cash", "card", "other")


class SaleLine(EventSchema):
    line_no = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    product_id = fields.UUID(required=True)
    #: None when sales had not yet heard of the product: the line is kept and flagged for review
    producer_id = fields.UUID(required=True, allow_none=True)
    sector = fields.String(required=True, allow_none=True)
    mountain_product = fields.Boolean(required=True)
    quantity = Quantity(required=True)
    unit_price = Money(required=True)
    discount = Money(required=True)
    gross = Money(required=True)
    vat_rate = Percent(required=True)
    vat = Money(required=True)
    flagged = fields.Boolean(required=True)


@register("SaleRecorded", 1, STREAM)
class SaleRecorded(EventSchema):
    receipt_id = fields.UUID(required=True)
    selling_place_id = fields.UUID(required=True)
    village_id = fields.UUID(required=True, allow_none=True)
    till_id = fields.String(required=True)
    sold_at = fields.AwareDateTime(required=True)
    #: the day of the sale in the selling place's own time zone: late sales land on it
    business_date = fields.Date(required=True)
    payment_method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    total = Money(required=True)
    vat_total = Money(required=True)
    lines = fields.List(fields.Nested(SaleLine), required=True, validate=validate.Length(min=1))
