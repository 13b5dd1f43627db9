"""The event contract: one schema per event type and version, shared by producer and consumers."""

import json
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from backbone import contract
from backbone.events import (
    InvalidEvent,
    UnknownEventType,
    UnsupportedEventVersion,
    decode,
    encode,
    known_types,
    new_event,
)


def _sale_data(**overrides):
    line = {
        "line_no": 1,
        "product_id": uuid.uuid4(),
        "producer_id": uuid.uuid4(),
        "sector": "agri-food",
        "mountain_product": True,
        "quantity": Decimal("0.250"),
        "unit_price": Decimal("28.00"),
        "discount": Decimal("0.00"),
        "gross": Decimal("7.00"),
        "vat_rate": Decimal("4"),
        "vat": Decimal("0.27"),
        "flagged": False,
    }
    data = {
        "receipt_id": uuid.uuid4(),
        "selling_place_id": uuid.uuid4(),
        "village_id": uuid.uuid4(),
        "till_id": "till-1",
        "sold_at": datetime(2026, 7, 14, 10, 30, tzinfo=timezone.utc),
        "business_date": date(2026, 7, 14),
        "payment_method": "card",
        "total": Decimal("7.00"),
        "vat_total": Decimal("0.27"),
        "lines": [line],
    }
    data.update(overrides)
    return data


def test_an_event_survives_the_round_trip_with_exact_types():
    event = new_event("SaleRecorded", _sale_data(), source="sales")
    back = decode(encode(event))
    assert back == event
    assert isinstance(back.data["lines"][0]["quantity"], Decimal)
    assert back.data["lines"][0]["quantity"] == Decimal("0.250")
    assert back.stream == "sales"


def test_the_envelope_carries_identity_time_source_and_trace():
    event = new_event("SaleRecorded", _sale_data(), source="sales", selling_place_id=uuid.uuid4())
    document = json.loads(encode(event))
    assert set(document) == {
        "event_id", "type", "version", "occurred_at", "recorded_at", "source",
        "selling_place_id", "village_id", "trace_id", "traceparent", "data",
    }  # fmt: skip
    assert uuid.UUID(document["event_id"]) and document["version"] == 1 and len(document["trace_id"]) == 32
    assert document["traceparent"].split("-")[1] == document["trace_id"]


def test_a_producer_cannot_write_an_event_that_breaks_its_schema():
    with pytest.raises(InvalidEvent):
        new_event("SaleRecorded", _sale_data(lines=[]), source="sales")


def test_a_newer_version_than_the_consumer_knows_is_refused_loudly():
    document = json.loads(encode(new_event("SaleRecorded", _sale_data(), source="sales")))
    document["version"] = 2
    with pytest.raises(UnsupportedEventVersion, match="newer than this service understands"):
        decode(json.dumps(document))


def test_a_payload_with_an_unknown_or_missing_field_is_refused_whole():
    document = json.loads(encode(new_event("SaleRecorded", _sale_data(), source="sales")))
    document["data"]["surprise"] = 1
    with pytest.raises(InvalidEvent, match="surprise"):
        decode(json.dumps(document))
    del document["data"]["surprise"]
    del document["data"]["lines"][0]["quantity"]
    with pytest.raises(InvalidEvent, match="quantity"):
        decode(json.dumps(document))


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", "{}", '{"type": "SaleRecorded"}', b"\xff\xfe"])
def test_garbage_is_refused_as_invalid(raw):
    with pytest.raises(InvalidEvent):
        decode(raw)


def test_an_unknown_type_is_told_apart_from_a_broken_event():
    document = json.loads(encode(new_event("SaleRecorded", _sale_data(), source="sales")))
    document["type"] = "SaleTeleported"
    with pytest.raises(UnknownEventType):
        decode(json.dumps(document))


def test_event_names_are_past_tense_and_every_stream_has_subscribers():
    types = known_types()
    assert {"SaleRecorded", "StockRestocked", "StockLow", "StockOut", "StockDiscrepancy", "ProductRegistered"} <= set(types)
    assert all(name.endswith(("ed", "Low", "Out", "Discrepancy")) for name in types)
    assert {t.stream for t in types.values()} == set(contract.SUBSCRIPTIONS)
    assert contract.streams_read_by("inventory") == ("sales",)
