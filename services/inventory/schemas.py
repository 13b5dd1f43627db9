"""Inventory's HTTP schemas: every field validated, unknown fields refused."""

from decimal import Decimal
from zoneinfo import available_timezones

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates

from backbone.contract.catalogue import LANGUAGES, UNITS
from backbone.fields import Money, Percent, Quantity

VAT_RATES = (Decimal(4), Decimal(5), Decimal(10), Decimal(22))
_TIMEZONES = frozenset(available_timezones())

Name = fields.String(required=True, validate=validate.Length(min=1, max=100))


def valid_ean(code: str) -> bool:
    """EAN-8 / EAN-13 check digit (GS1 mod-10)."""
    if not code.isdigit() or len(code) not in (8, 13):
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    weights = [3, 1] * 6 if len(code) == 13 else [3, 1] * 4
    total = sum(d * w for d, w in zip(reversed(body), weights, strict=False))
    return (10 - total % 10) % 10 == check


def _known_sector(value: str) -> None:
    sectors = current_app.config["SECTORS"]
    if value not in sectors:
        raise ValidationError(f"Unknown sector; one of: {', '.join(sectors)}.")


class VillageIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    istat_code = fields.String(
        required=True, validate=validate.Regexp(r"^\d{6}$", error="An ISTAT municipality code has 6 digits.")
    )
    province = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="A province is two capital letters, e.g. SO.")
    )
    population = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10_000_000))


class VillageQuery(Schema):
    istat_code = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$"))


class VillageOut(VillageIn):
    id = fields.UUID(required=True)


class SellingPlaceIn(Schema):
    village_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    timezone = fields.String(load_default="Europe/Rome")
    commission_rate = Percent(required=True, validate=validate.Range(min=0, max=100))

    @validates("timezone")
    def _timezone(self, value, **_):
        if value not in _TIMEZONES:
            raise ValidationError("Unknown time zone; use an IANA name such as Europe/Rome.")


class SellingPlaceOut(SellingPlaceIn):
    id = fields.UUID(required=True)


class ProducerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    sector = fields.String(required=True, validate=_known_sector)
    home_village_id = fields.UUID(load_default=None, allow_none=True)
    language = fields.String(load_default="it", validate=validate.OneOf(LANGUAGES))
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\+?[0-9 ]{6,20}$"))
    webhook_url = fields.Url(load_default=None, allow_none=True, require_tld=False, schemes={"http", "https"})


class ProducerOut(ProducerIn):
    id = fields.UUID(required=True)


class ProductIn(Schema):
    producer_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    sector = fields.String(load_default=None, validate=_known_sector, metadata={"description": "Defaults to the producer's."})
    unit = fields.String(load_default="piece", validate=validate.OneOf(UNITS))
    price = Money(required=True, validate=validate.Range(min=Decimal("0.01")))
    vat_rate = Percent(required=True, validate=validate.OneOf(VAT_RATES, error="VAT rate must be 4, 5, 10 or 22."))
    mountain_product = fields.Boolean(load_default=False)
    barcode = fields.String(load_default=None, allow_none=True)
    reorder_threshold = Quantity(load_default=Decimal(0), validate=validate.Range(min=0))

    @validates("barcode")
    def _barcode(self, value, **_):
        if value is not None and not valid_ean(value):
            raise ValidationError("Not a valid EAN-13 or EAN-8 barcode (check digit).")


class ProductOut(ProductIn):
    id = fields.UUID(required=True)
    sector = fields.String(required=True)
    active = fields.Boolean(required=True)


class RestockLineIn(Schema):
    product_id = fields.UUID(required=True)
    quantity = Quantity(required=True, validate=validate.Range(min=0, min_inclusive=False))


class RestockIn(Schema):
    delivery_id = fields.UUID(
        load_default=None, metadata={"description": "The delivery note's id; sending it again changes nothing."}
    )
    lines = fields.List(fields.Nested(RestockLineIn), required=True, validate=validate.Length(min=1, max=500))


class StockOut(Schema):
    selling_place_id = fields.UUID(required=True)
    product_id = fields.UUID(required=True)
    on_hand = Quantity(required=True)
    reorder_threshold = Quantity(required=True)
    target_level = Quantity(allow_none=True)
    updated_at = fields.AwareDateTime()


class RestockOut(Schema):
    delivery_id = fields.UUID(required=True)
    lines = fields.List(fields.Nested(StockOut), required=True)


class ThresholdIn(Schema):
    reorder_threshold = Quantity(required=True, validate=validate.Range(min=0))
    target_level = Quantity(load_default=None, allow_none=True, validate=validate.Range(min=0))


class MovementOut(Schema):
    id = fields.Integer()
    quantity = Quantity()
    cause = fields.String()
    reference = fields.UUID(allow_none=True)
    event_id = fields.UUID(allow_none=True)
    created_at = fields.AwareDateTime()
