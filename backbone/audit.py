"""The audit log of a service, readable by administrators: `GET /audit`."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from backbone.fields import Moment
from backbone.outbox import audit_log
from backbone.web import Blueprint, allow, get_db

blp = Blueprint("audit", __name__, description="Who wrote what, when, with which key")


class AuditQuery(Schema):
    key_id = fields.String(load_default=None, validate=validate.Length(max=32))
    since = Moment(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AuditEntry(Schema):
    id = fields.Integer()
    at = Moment()
    key_id = fields.String()
    role = fields.String()
    method = fields.String()
    path = fields.String()
    endpoint = fields.String()
    trace_id = fields.String(allow_none=True)


@blp.route("/audit")
class Audit(MethodView):
    @allow()
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditEntry(many=True))
    def get(self, query):
        """Every write made through this service's API, newest first (administrators only)."""
        statement = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(query["limit"])
        if query["key_id"]:
            statement = statement.where(audit_log.c.key_id == query["key_id"])
        if query["since"]:
            statement = statement.where(audit_log.c.at >= query["since"])
        with get_db().transaction() as session:
            return [dict(row._mapping) for row in session.execute(statement)]
