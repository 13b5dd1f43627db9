"""Notifications' HTTP schemas."""

from marshmallow import Schema, fields, validate

from backbone.fields import Quantity


class AlertQuery(Schema):
    producer_id = fields.UUID(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class DeliveryOut(Schema):
    id = fields.UUID()
    channel = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    sent_at = fields.AwareDateTime(allow_none=True)


class AlertOut(Schema):
    id = fields.UUID()
    kind = fields.String()
    producer_id = fields.UUID(allow_none=True)
    selling_place_id = fields.UUID()
    product_id = fields.UUID()
    on_hand = Quantity()
    threshold = Quantity(allow_none=True)
    suggested_quantity = Quantity(allow_none=True)
    created_at = fields.AwareDateTime()
    acknowledged_at = fields.AwareDateTime(allow_none=True)
    deliveries = fields.List(fields.Nested(DeliveryOut))
