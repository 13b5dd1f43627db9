"""Identity's HTTP schemas."""

from marshmallow import Schema, fields, validate

from backbone.auth import ROLES
from backbone.fields import Moment

AUDIENCES = ("inventory", "sales", "notifications", "reporting", "identity")


class TokenRequest(Schema):
    api_key = fields.String(required=True, validate=validate.Length(min=10, max=200), load_only=True)
    audience = fields.String(
        required=True, validate=validate.OneOf(AUDIENCES), metadata={"description": "The service the token is for."}
    )


class TokenOut(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    audience = fields.String(required=True)
    expires_at = Moment(required=True)


class KeyIn(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    label = fields.String(required=True, validate=validate.Length(min=1, max=100))
    valid_days = fields.Integer(load_default=365, strict=True, validate=validate.Range(min=1, max=3650))
    selling_place_id = fields.UUID(load_default=None, allow_none=True)
    village_id = fields.UUID(load_default=None, allow_none=True)
    producer_id = fields.UUID(load_default=None, allow_none=True)


class KeyOut(Schema):
    id = fields.String()
    role = fields.String()
    label = fields.String()
    selling_place_id = fields.UUID(allow_none=True)
    village_id = fields.UUID(allow_none=True)
    producer_id = fields.UUID(allow_none=True)
    created_at = Moment()
    created_by = fields.String(allow_none=True)
    expires_at = Moment()
    revoked_at = Moment(allow_none=True)
    last_used_at = Moment(allow_none=True)


class IssuedKeyOut(KeyOut):
    api_key = fields.String(metadata={"description": "Shown this once: store it now, it cannot be read again."})
