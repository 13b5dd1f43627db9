"""Inventory's HTTP schemas for the catalogue: every field validated, unknown fields refused."""

import re
from decimal import Decimal
from zoneinfo import available_timezones

from flask import current_app
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import ean
from stdnum.exceptions import ValidationError as NumberError
from stdnum.it import iva

from backbone.contract.catalogue import LANGUAGES, TAX_REGIMES, UNITS
from backbone.fields import Moment, Money, Percent, Quantity

VAT_RATES = (Decimal(4), Decimal(5), Decimal(10), Decimal(22))
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIMEZONES = frozenset(available_timezones())
_INTERVAL = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


def valid_ean(code: str) -> bool:
    """An EAN-13 or EAN-8 barcode with a right check digit."""
    return len(code) in (8, 13) and ean.is_valid(code)


def _known_sector(value: str) -> None:
    sectors = current_app.config["SECTORS"]
    if value not in sectors:
        raise ValidationError(f"Unknown sector; one of: {', '.join(sectors)}.")


class VatNumber(fields.String):
    """An Italian VAT number (partita IVA): 11 digits with a check digit, "IT" prefix and spaces allowed."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            return iva.validate(value)
        except NumberError as error:
            raise ValidationError(f"Not a valid Italian VAT number (partita IVA): {error}") from error


class Iban(fields.String):
    """An IBAN of the SEPA zone (payouts are SEPA credit transfers), checked with its national check digits."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            iban = IBAN(value, validate_bban=True)
        except SchwiftyException as error:
            raise ValidationError(f"Not a valid IBAN: {error}.") from error
        if not iban.in_sepa_zone:
            raise ValidationError("Payouts are SEPA credit transfers: the IBAN must be of a SEPA country.")
        return iban.compact


class OpeningHours(fields.Dict):
    """Weekday ("mon".."sun") -> opening intervals "HH:MM-HH:MM", in order, not overlapping."""

    def __init__(self, **kwargs):
        super().__init__(
            keys=fields.String(validate=validate.OneOf(WEEKDAYS)),
            values=fields.List(fields.String(), validate=validate.Length(max=4)),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        hours = super()._deserialize(value, attr, data, **kwargs)
        for day, intervals in hours.items():
            previous_end = ""
            for interval in intervals:
                match = _INTERVAL.match(interval)
                if not match or interval[:5] >= interval[6:] or interval[:5] < previous_end:
                    raise ValidationError({day: [f"{interval!r}: intervals are HH:MM-HH:MM, in order, not overlapping."]})
                previous_end = interval[6:]
        return hours


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
    commission_rate = Percent(
        required=True, validate=validate.Range(min=0, max=100), metadata={"description": "Default commission, in percent."}
    )
    opening_hours = OpeningHours(
        load_default=None, allow_none=True, metadata={"example": {"mon": ["08:30-12:30", "15:00-19:00"], "sun": []}}
    )

    @validates("timezone")
    def _timezone(self, value, **_):
        if value not in _TIMEZONES:
            raise ValidationError("Unknown time zone; use an IANA name such as Europe/Rome.")


class SellingPlaceQuery(Schema):
    village_id = fields.UUID(load_default=None)


class SellingPlaceOut(SellingPlaceIn):
    id = fields.UUID(required=True)


class SectorsOut(Schema):
    sectors = fields.List(fields.String(), required=True)


class ProducerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    sector = fields.String(required=True, validate=_known_sector)
    home_village_id = fields.UUID(load_default=None, allow_none=True)
    language = fields.String(load_default="it", validate=validate.OneOf(LANGUAGES))
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\+?[0-9 ]{6,20}$"))
    webhook_url = fields.Url(load_default=None, allow_none=True, require_tld=False, schemes={"http", "https"})
    telegram_chat_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$", error="A Telegram chat id or @channel name."),
    )
    vat_number = VatNumber(load_default=None, allow_none=True, metadata={"description": "Partita IVA, optional."})
    tax_regime = fields.String(
        load_default="ordinary",
        validate=validate.OneOf(TAX_REGIMES),
        metadata={"description": "agricultural_special: the special agricultural VAT regime (art. 34 DPR 633/72)."},
    )
    iban = Iban(load_default=None, allow_none=True, metadata={"description": "Where the monthly payout goes (SEPA)."})
    lead_time_days = fields.Integer(
        load_default=3,
        strict=True,
        validate=validate.Range(min=0, max=365),
        metadata={"description": "Days the producer needs to bring goods: low-stock alerts come this early."},
    )


class ProducerChanges(ProducerIn):
    """Some of a producer's details (used with partial=True: fields left out stay as they are)."""


class ProducerQuery(Schema):
    village_id = fields.UUID(load_default=None)
    sector = fields.String(load_default=None)
    vat_number = VatNumber(load_default=None)


class ProducerOut(ProducerIn):
    id = fields.UUID(required=True)
    revision = fields.Integer(required=True)


class ProductIn(Schema):
    producer_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    sector = fields.String(load_default=None, validate=_known_sector, metadata={"description": "Defaults to the producer's."})
    unit = fields.String(load_default="piece", validate=validate.OneOf(UNITS))
    price = Money(required=True, validate=validate.Range(min=Decimal("0.01")))
    vat_rate = Percent(required=True, validate=validate.OneOf(VAT_RATES, error="VAT rate must be 4, 5, 10 or 22."))
    mountain_product = fields.Boolean(load_default=False)
    barcode = fields.String(load_default=None, allow_none=True)
    sku = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$", error="Up to 32 letters, digits and . _ / -."),
        metadata={"description": "An internal code, for goods without a barcode."},
    )
    reorder_threshold = Quantity(load_default=Decimal(0), validate=validate.Range(min=0))

    @validates("barcode")
    def _barcode(self, value, **_):
        if value is not None and not valid_ean(value):
            raise ValidationError("Not a valid EAN-13 or EAN-8 barcode (check digit).")


class ProductQuery(Schema):
    barcode = fields.String(load_default=None)
    sku = fields.String(load_default=None)
    producer_id = fields.UUID(load_default=None)
    active = fields.Boolean(load_default=None)

    @validates("barcode")
    def _barcode(self, value, **_):
        if value is not None and not valid_ean(value):
            raise ValidationError("Not a valid EAN-13 or EAN-8 barcode (check digit).")


class ProductOut(ProductIn):
    id = fields.UUID(required=True)
    sector = fields.String(required=True)
    price = Money(required=True, metadata={"description": "The price in effect now."})
    active = fields.Boolean(required=True)
    retired_at = Moment(allow_none=True)


class PriceChangeIn(Schema):
    price = Money(required=True, validate=validate.Range(min=Decimal("0.01")))
    effective_from = Moment(
        load_default=None, allow_none=True, metadata={"description": "When the new price takes effect; now if not given."}
    )


class PriceOut(Schema):
    product_id = fields.UUID(required=True)
    price = Money(required=True)
    effective_from = Moment(required=True)
    created_at = Moment(required=True)


class ImportQuery(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Check every row, write nothing."})


class ImportFiles(Schema):
    producers = Upload(load_default=None, metadata={"description": "CSV of producers, one a row."})
    products = Upload(load_default=None, metadata={"description": "CSV of products, one a row."})

    @validates_schema
    def _some_file(self, data, **_):
        if data.get("producers") is None and data.get("products") is None:
            raise ValidationError("Send a producers file, a products file, or both.", "producers")


class ImportOut(Schema):
    dry_run = fields.Boolean(required=True)
    producers = fields.List(fields.Nested(ProducerOut), required=True)
    products = fields.List(fields.Nested(ProductOut), required=True)
