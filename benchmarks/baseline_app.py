"""The baseline of sale ingestion: a bare Flask endpoint that validates the same receipt with
marshmallow and inserts one row, nothing else (no auth, no idempotency, no outbox).

Run under gunicorn with the same settings as the sales API:
`BASELINE_DATABASE_URL=... gunicorn 'benchmarks.baseline_app:create_app()'`.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate

metadata = sa.MetaData()
receipt = sa.Table(
    "baseline_receipt",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("till_id", sa.String(50), nullable=False),
    sa.Column("sold_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("payment_method", sa.String(20), nullable=False),
    sa.Column("lines", sa.Integer(), nullable=False),
)


class LineIn(Schema):
    product_id = fields.UUID(required=True)
    quantity = fields.Decimal(required=True, validate=validate.Range(min=0, min_inclusive=False))


class ReceiptIn(Schema):
    receipt_id = fields.UUID(required=True)
    selling_place_id = fields.UUID(load_default=None)
    till_id = fields.String(required=True, validate=validate.Length(min=1, max=50))
    sold_at = fields.AwareDateTime(required=True)
    payment_method = fields.String(required=True)
    lines = fields.List(fields.Nested(LineIn), required=True, validate=validate.Length(min=1, max=200))


def create_app() -> Flask:
    """The baseline app: POST /receipts validates and inserts one row."""
    app = Flask(__name__)
    engine = sa.create_engine(os.environ["BASELINE_DATABASE_URL"], pool_size=5)
    metadata.create_all(engine)
    schema = ReceiptIn()

    @app.post("/receipts")
    def post_receipt():
        try:
            body = schema.load(request.get_json())
        except ValidationError as error:
            return jsonify(errors=error.messages), 422
        with engine.begin() as connection:
            connection.execute(
                receipt.insert().values(
                    id=body["receipt_id"],
                    till_id=body["till_id"],
                    sold_at=body["sold_at"],
                    payment_method=body["payment_method"],
                    lines=len(body["lines"]),
                )
            )
        return jsonify(receipt_id=str(body["receipt_id"])), 201

    @app.get("/health/live")
    def live():
        return jsonify(status="ok")

    return app
