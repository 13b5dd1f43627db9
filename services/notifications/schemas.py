"""Notifications' HTTP schemas."""

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from backbone.fields import Day, Moment, Quantity
from services.notifications.messages import KINDS, LANGUAGES
from services.notifications.recipients import CHANNELS, channels_of

STATUSES = ("held", "pending", "sent", "failed")


class AlertQuery(Schema):
    producer_id = fields.UUID(load_default=None)
    selling_place_id = fields.UUID(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class DeliveryQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    recipient_id = fields.UUID(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class DigestQuery(Schema):
    producer_id = fields.UUID(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class DeliveryOut(Schema):
    id = fields.UUID()
    alert_id = fields.UUID(allow_none=True)
    digest_id = fields.UUID(allow_none=True)
    recipient_id = fields.UUID(allow_none=True)
    channel = fields.String()
    target = fields.String()
    language = fields.String()
    subject = fields.String()
    text = fields.String()
    status = fields.String(metadata={"description": "held (quiet hours), pending, sent or failed"})
    not_before = Moment(allow_none=True, metadata={"description": "held until then (quiet hours)"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = Moment()
    sent_at = Moment(allow_none=True)


class AlertOut(Schema):
    id = fields.UUID()
    kind = fields.String()
    producer_id = fields.UUID(allow_none=True)
    recipient_id = fields.UUID(allow_none=True)
    selling_place_id = fields.UUID()
    product_id = fields.UUID()
    on_hand = Quantity()
    threshold = Quantity(allow_none=True)
    suggested_quantity = Quantity(allow_none=True)
    days_of_cover = Quantity(allow_none=True)
    reason = fields.String(allow_none=True)
    in_digest = fields.Boolean(metadata={"description": "told in the recipient's daily digest, not on its own"})
    occurred_at = Moment()
    created_at = Moment()
    acknowledged_at = Moment(allow_none=True)
    resolved_at = Moment(allow_none=True)
    deliveries = fields.List(fields.Nested(DeliveryOut))


class DigestOut(Schema):
    id = fields.UUID()
    recipient_id = fields.UUID()
    period = Day()
    content = fields.Dict()
    created_at = Moment()
    deliveries = fields.List(fields.Nested(DeliveryOut))


# -- preferences ---------------------------------------------------------------------------------


class QuietHours(Schema):
    quiet_from = fields.Time(data_key="from", required=True, metadata={"description": "local time, e.g. 21:30"})
    quiet_until = fields.Time(data_key="until", required=True)

    @validates_schema
    def _not_empty(self, data, **_):
        if data["quiet_from"] == data["quiet_until"]:
            raise ValidationError("Quiet hours must not start and end at the same time.", "until")


class ContactsIn(Schema):
    email = fields.Email(allow_none=True)
    phone = fields.String(allow_none=True, validate=validate.Regexp(r"^\+?[0-9 ]{6,20}$", error="Not a phone number."))
    webhook_url = fields.Url(allow_none=True, require_tld=False, schemes={"http", "https"})
    telegram_chat_id = fields.String(
        allow_none=True, validate=validate.Regexp(r"^(-?[0-9]{1,20}|@[A-Za-z0-9_]{5,32})$", error="Not a Telegram chat id.")
    )


class SellingPlacePreferencesIn(Schema):
    """The fields to change; those left out stay as they are."""

    language = fields.String(validate=validate.OneOf(LANGUAGES))
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)),
        allow_none=True,
        metadata={"description": "null: every channel with a contact"},
    )
    quiet_hours = fields.Nested(QuietHours, allow_none=True, metadata={"description": "null: none"})
    contacts = fields.Nested(ContactsIn)

    @validates("channels")
    def _distinct(self, value, **_):
        if value is not None and len(set(value)) != len(value):
            raise ValidationError("A channel is listed twice.")


class ProducerPreferencesIn(SellingPlacePreferencesIn):
    delivery_mode = fields.String(
        validate=validate.OneOf(("immediate", "digest")),
        metadata={"description": "immediate: each alert at once; digest: alerts and sales in one daily message"},
    )


class ContactsOut(Schema):
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    webhook_url = fields.String(allow_none=True)
    telegram_chat_id = fields.String(allow_none=True)


class PreferencesOut(Schema):
    id = fields.UUID()
    kind = fields.String()
    name = fields.String()
    language = fields.String()
    channels = fields.List(fields.String(), allow_none=True)
    active_channels = fields.Method("_active", metadata={"description": "the channels messages go out on now"})
    quiet_hours = fields.Method("_quiet", allow_none=True)
    timezone = fields.String()
    delivery_mode = fields.String()
    contacts = fields.Method("_contacts")
    revision = fields.Integer(metadata={"description": "the newest catalogue revision applied"})

    def _active(self, recipient):
        return [channel for channel, _ in channels_of(recipient)]

    def _quiet(self, recipient):
        if recipient.quiet_from is None:
            return None
        return {"from": _clock(recipient.quiet_from), "until": _clock(recipient.quiet_until)}

    def _contacts(self, recipient):
        return ContactsOut().dump(recipient)


def _clock(value) -> str:
    return value.isoformat("minutes" if value.second == 0 else "seconds")


# -- templates -----------------------------------------------------------------------------------


class TemplateIn(Schema):
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class TemplateOut(Schema):
    kind = fields.String(metadata={"description": f"one of {', '.join(KINDS)}"})
    language = fields.String()
    subject = fields.String()
    body = fields.String()
    customised = fields.Boolean(metadata={"description": "false: the default wording"})
