"""Catalogue events, published by inventory: the network's villages, selling places, producers, products.

Other services keep the copies they need from these events instead of calling inventory. Events
of one object may arrive out of order (several relays, redeliveries): a producer's events carry a
`revision` (keep the highest), a price carries the moment it takes effect (`effective_from`).
"""

from marshmallow import fields, validate

from backbone.events import EventSchema, register
from backbone.fields import Money, Percent, Quantity

STREAM = "catalogue"

LANGUAGES = ("it", "en")
UNITS = ("piece", "kg", "litre")
VAT_RATES = ("4", "5", "10", "22")
#: ordinary VAT, the special agricultural regime (art. 34 DPR 633/72), the flat-rate regime
TAX_REGIMES = ("ordinary", "agricultural_special", "flat_rate")


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
    telegram_chat_id = fields.String(allow_none=True, load_default=None)


class _Producer(EventSchema):
    producer_id = fields.UUID(required=True)
    #: 1 at registration, +1 at every update: keep the state with the highest revision
    revision = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1))
    name = fields.String(required=True)
    sector = fields.String(required=True)
    home_village_id = fields.UUID(allow_none=True, load_default=None)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    contacts = fields.Nested(Contacts, required=True)
    vat_number = fields.String(allow_none=True, load_default=None)
    tax_regime = fields.String(load_default="ordinary", validate=validate.OneOf(TAX_REGIMES))
    #: where the monthly payout goes (validated by inventory)
    iban = fields.String(allow_none=True, load_default=None)
    #: days the producer needs to bring goods: a StockLow comes early enough to cover them
    lead_time_days = fields.Integer(load_default=3, strict=True, validate=validate.Range(min=0, max=365))


@register("ProducerRegistered", 1, STREAM)
class ProducerRegistered(_Producer):
    """A producer joined the network (one identity in every village)."""


@register("ProducerUpdated", 1, STREAM)
class ProducerUpdated(_Producer):
    """A producer's details changed: the whole new state, with a higher revision."""


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
    #: the internal code of a product without a barcode
    sku = fields.String(allow_none=True, load_default=None)
    reorder_threshold = Quantity(required=True)


@register("PriceChanged", 1, STREAM)
class PriceChanged(EventSchema):
    """A product's price from `effective_from` on (sales keep charging the old one until then)."""

    product_id = fields.UUID(required=True)
    producer_id = fields.UUID(required=True)
    price = Money(required=True)
    previous_price = Money(required=True)
    effective_from = fields.AwareDateTime(required=True)


@register("ProductRetired", 1, STREAM)
class ProductRetired(EventSchema):
    """A product is no longer sold; its history stays."""

    product_id = fields.UUID(required=True)
    producer_id = fields.UUID(required=True)
