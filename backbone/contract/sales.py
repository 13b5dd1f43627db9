"""Sales events, published by sales: what was sold or given back, where, when and whose it was."""

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
    #: False for a farmer under the special agricultural regime selling their own farm products
    requires_fiscal_document = fields.Boolean(load_default=True)


@register("SaleRecorded", 1, STREAM)
class SaleRecorded(EventSchema):
    receipt_id = fields.UUID(required=True)
    selling_place_id = fields.UUID(required=True)
    village_id = fields.UUID(required=True, allow_none=True)
    till_id = fields.String(required=True)
    clerk = fields.String(allow_none=True, load_default=None)
    sold_at = fields.AwareDateTime(required=True)
    #: the day of the sale in the selling place's own time zone: late sales land on it
    business_date = fields.Date(required=True)
    payment_method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    total = Money(required=True)
    vat_total = Money(required=True)
    #: the number of the fiscal document printed by the shop's registered till, if it sent one
    fiscal_document = fields.String(allow_none=True, load_default=None)
    #: recorded after its business day was closed: a correction to that day's close
    after_close = fields.Boolean(load_default=False)
    lines = fields.List(fields.Nested(SaleLine), required=True, validate=validate.Length(min=1))


class RefundLine(EventSchema):
    #: the line of the original receipt this gives back (part of)
    line_no = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    product_id = fields.UUID(required=True)
    producer_id = fields.UUID(required=True, allow_none=True)
    sector = fields.String(required=True, allow_none=True)
    mountain_product = fields.Boolean(required=True)
    quantity = Quantity(required=True)
    #: amounts given back, positive
    gross = Money(required=True)
    vat_rate = Percent(required=True)
    vat = Money(required=True)
    #: the goods went back on the shelf of the same selling place
    returned_to_shelf = fields.Boolean(required=True)


@register("SaleRefunded", 1, STREAM)
class SaleRefunded(EventSchema):
    """Goods and money given back for (part of) a recorded sale; a void is a full refund."""

    refund_id = fields.UUID(required=True)
    receipt_id = fields.UUID(required=True)
    selling_place_id = fields.UUID(required=True)
    village_id = fields.UUID(required=True, allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(("refund", "void")))
    reason = fields.String(allow_none=True, load_default=None)
    refunded_at = fields.AwareDateTime(required=True)
    #: the refund's own business day, and the day of the sale it corrects
    business_date = fields.Date(required=True)
    sale_business_date = fields.Date(required=True)
    total = Money(required=True)
    vat_total = Money(required=True)
    lines = fields.List(fields.Nested(RefundLine), required=True, validate=validate.Length(min=1))


@register("DayClosed", 1, STREAM)
class DayClosed(EventSchema):
    """A selling place closed its business day (Z report); later receipts of that day are corrections."""

    selling_place_id = fields.UUID(required=True)
    business_date = fields.Date(required=True)
    closed_at = fields.AwareDateTime(required=True)
    receipts = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    total = Money(required=True)
    refunds_total = Money(required=True)
