"""The consumers' fast load accepts exactly what the contract's schema accepts, and loads it the same."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from backbone.events import ContractError, _compile, _envelope, decode, encode, event_type, load_fast
from tests.support.events import sale_recorded

SALE = event_type("SaleRecorded").schema
#: values a till, a bug or an attacker might put anywhere: each is right for some field, wrong for most
TRICKY = [
    None, True, False, 0, 1, -1, 2**40, 1.5, "", "x", "x" * 120, "cash", "card", "gift",
    "1", "1.5", "1.005", "-3.20", "1e3", "NaN", "Infinity", "0.000", "12345678901234",
    "2026-07-14", "2026-02-30", "2026-07-14T10:30:00", "2026-07-14T10:30:00+02:00", "2026-07-14T10:30:00Z",
    str(uuid.uuid4()), uuid.uuid4().hex, "{" + str(uuid.uuid4()) + "}", "urn:uuid:" + str(uuid.uuid4()),
    [], {}, [{}], {"a": 1},
]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
values = st.sampled_from(TRICKY) | json_values


def document(lines: int) -> dict:
    return json.loads(encode(sale_recorded(lines=lines)))


@st.composite
def mutated(draw):
    """A SaleRecorded as encoded, then changed here and there: values replaced, keys removed or added."""
    doc = document(draw(st.integers(min_value=1, max_value=3)))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        candidates = [doc]
        data = doc.get("data")
        if isinstance(data, dict):
            candidates += [data, data]
            if isinstance(data.get("lines"), list):
                candidates += [line for line in data["lines"] if isinstance(line, dict)]
        target = draw(st.sampled_from(candidates))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"])) if target else "add"
        key = draw(st.sampled_from(sorted(target))) if target else None
        if action == "replace":
            target[key] = draw(values)
        elif action == "delete":
            del target[key]
        else:
            target[draw(st.text(min_size=1, max_size=8))] = draw(values)
    return doc


def outcome(load, data):
    try:
        return "loaded", load(data)
    except ValidationError as error:
        return "refused", error.messages


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_the_fast_path_loads_only_what_the_schema_loads_and_loads_it_the_same(doc):
    for schema, data in ((_envelope, doc), (SALE, doc.get("data"))):
        try:
            fast = _compile(schema)(data)
        except Exception:  # noqa: BLE001 - unsure, or broken on odd input: either way marshmallow decides
            fast = None
        else:
            assert outcome(schema.load, data) == ("loaded", fast)
        assert outcome(lambda d, schema=schema: load_fast(schema, d), data) == outcome(schema.load, data)
        if fast is None:
            break


def test_a_plain_sale_takes_the_fast_path():
    doc = document(3)
    assert _compile(SALE)(doc["data"]) == SALE.load(doc["data"])
    assert _compile(_envelope)(doc) == _envelope.load(doc)


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc.update(version=2),
        lambda doc: doc["data"].pop("total"),
        lambda doc: doc["data"]["lines"][0].pop("product_id"),
        lambda doc: doc["data"].update(surprise=1),
        lambda doc: doc["data"]["lines"][0].update(quantity="1.0005"),
        lambda doc: doc["data"].update(lines=[]),
        lambda doc: doc.pop("event_id"),
    ],
    ids=["newer version", "missing total", "line without product", "unknown field", "too precise", "no lines", "no id"],
)
def test_a_wrong_event_is_still_refused(change):
    doc = document(2)
    change(doc)
    with pytest.raises(ContractError):
        decode(json.dumps(doc))
