"""Reporting's HTTP schemas."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backbone.fields import Money, Quantity


class DailyReportQuery(Schema):
    group_by = fields.String(required=True, validate=validate.OneOf(("producer", "sector")))
    date_from = fields.Date(required=True, data_key="from")
    date_to = fields.Date(required=True, data_key="to")
    key = fields.String(load_default=None, metadata={"description": "One producer id or one sector."})

    @validates_schema
    def _period(self, data, **_):
        if data["date_to"] < data["date_from"]:
            raise ValidationError("Must not be before 'from'.", "to")
        if (data["date_to"] - data["date_from"]).days > 366:
            raise ValidationError("A daily report covers at most a year.", "to")


class DailyRow(Schema):
    key = fields.String()
    business_date = fields.Date()
    quantity = Quantity()
    gross = Money()
    vat = Money()
    net = Money()
    lines = fields.Integer()
    receipts = fields.Integer()


class DailyReport(Schema):
    group_by = fields.String()
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    watermark = fields.AwareDateTime(allow_none=True, metadata={"description": "When the newest event included was recorded."})
    pending_keys = fields.Integer(metadata={"description": "Aggregates waiting to be recomputed: not yet included."})
    rows = fields.List(fields.Nested(DailyRow))
