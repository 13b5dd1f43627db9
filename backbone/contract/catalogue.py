"""Catalogue events, published by inventory: the network's villages, selling places, producers, products.

Other services keep the copies they need from these events instead of calling inventory.
"""

from marshmallow import fields, validate

from backbone.events import EventSchema, register
from backbone.fields import Money, Percent, Quantity

STREAM = "catalogue"

LANGUAGES = ("it", "en")
UNITS = ("piece", "kg", "litre")
VAT_RATES = ("4", "5", "10", "22")


@register("VillageRegistered", 1, STREAM)
class VillageRegistered(EventSchema):
    village_id = fields.UUID(required=True)
    name = fields.String(required=True)
    istat_code = fields.String(required=True)
    province = fields.String(required=True)
    population = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


@register("SellingPlaceRegistered", 1, STREAM)
class SellingPlaceRegistered(EventSchema):
    selling_place_id = fields.UUID(required=True)
    village_id = fields.UUID(required=True)
    name = fields.String(required=True)
    timezone = fields.String(required=True)
    commission_rate = Percent(required=True)


class Contacts(EventSchema):
    email = fields.Email(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)
    webhook_url = fields.Url(allow_none=True, load_default=None, require_tld=False)


@register("ProducerRegistered", 1, STREAM)
class ProducerRegistered(EventSchema):
    producer_id = fields.UUID(required=True)
    name = fields.String(required=True)
    sector = fields.String(required=True)
    home_village_id = fields.UUID(allow_none=True, load_default=None)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    contacts = fields.Nested(Contacts, required=True)


@register("ProductRegistered", 1, STREAM)
class ProductRegistered(EventSchema):
    product_id = fields.UUID(required=True)
    producer_id = fields.UUID(required=True)
    name = fields.String(required=True)
    sector = fields.String(required=True)
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    price = Money(required=True)
    vat_rate = Percent(required=True)
    mountain_product = fields.Boolean(required=True)
    barcode = fields.String(allow_none=True, load_default=None)
    reorder_threshold = Quantity(required=True)
