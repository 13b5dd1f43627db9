"""Bad input, by hand, through every service's HTTP API: each is a 4xx naming the field and its problem, and nothing is written.

Each write endpoint has a valid body; each case spoils one field of it (or the whole body) and checks the
answer and that no table of the service's database changed (the outbox included, so no event left either).
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

#: a placeholder replaced by raw JSON text, for what json.dumps cannot write (1e400, NaN, a lone surrogate)
RAW = "\u2063raw\u2063"
MEGABYTE = "x" * (1024 * 1024)


@dataclass(frozen=True)
class Endpoint:
    service: str
    method: str
    url: str  # may name the seeded ids: {selling_place_id}, {receipt_id}, ...
    body: dict  # valid as it is (ids filled in the same way)

    def __str__(self):
        return f"{self.service} {self.method} {self.url}"


def _fill(value: Any, known: dict) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in known:
        return known[value[1:-1]][0]
    if isinstance(value, dict):
        return {key: _fill(item, known) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, known) for item in value]
    return value


VILLAGES = Endpoint(
    "inventory", "POST", "/villages", {"name": "Cercino", "istat_code": "014019", "province": "SO", "population": 760}
)
PRODUCTS = Endpoint(
    "inventory",
    "POST",
    "/products",
    {"producer_id": "{producer_id}", "name": "Bresaola", "unit": "kg", "price": "32.00", "vat_rate": "10"},
)
RESTOCKS = Endpoint(
    "inventory",
    "POST",
    "/selling-places/{selling_place_id}/restocks",
    {"lines": [{"product_id": "{product_id}", "quantity": "4"}]},
)
RECEIPTS = Endpoint(
    "sales",
    "POST",
    "/receipts",
    {
        "receipt_id": "{new_id}",
        "selling_place_id": "{selling_place_id}",
        "till_id": "till-1",
        "sold_at": "2026-07-14T10:30:00+02:00",
        "payment_method": "cash",
        "lines": [{"product_id": "{product_id}", "quantity": "1"}],
    },
)
REFUNDS = Endpoint(
    "sales",
    "POST",
    "/receipts/{receipt_id}/refunds",
    {"refund_id": "{new_id}", "lines": [{"line_no": 1, "quantity": "0.5"}], "refunded_at": "2026-07-15T09:00:00+02:00"},
)
PREFERENCES = Endpoint(
    "notifications", "PATCH", "/producers/{producer_id}/preferences", {"language": "en", "delivery_mode": "digest"}
)
SETTLEMENTS = Endpoint("reporting", "POST", "/settlements", {"month": "2026-07"})
EXPORTS = Endpoint("reporting", "POST", "/exports", {"from": "2026-07-01", "to": "2026-07-31", "format": "csv"})
KEYS = Endpoint(
    "identity", "POST", "/keys", {"role": "clerk", "label": "till 2", "selling_place_id": "{new_id}", "valid_days": 30}
)

EVERY_ENDPOINT = [VILLAGES, PRODUCTS, RESTOCKS, RECEIPTS, REFUNDS, PREFERENCES, SETTLEMENTS, EXPORTS, KEYS]

#: the bad values of each kind of field: (name of the case, value or raw JSON text)
AMOUNTS = [
    ("1e400", ("raw", "1e400")),
    ("10**30", 10**30),
    ("50 digits", ("raw", "1234567890123456789012345678901234567890.1234567890")),
    ("NaN literal", ("raw", "NaN")),
    ("Infinity literal", ("raw", "Infinity")),
    ("-Infinity literal", ("raw", "-Infinity")),
    ("NaN string", "NaN"),
    ("Infinity string", "Infinity"),
    ("a float's digits", 0.1 + 0.2),
    ("wrong type", [1]),
    ("boolean", True),
]
QUANTITIES = [*AMOUNTS, ("zero", "0"), ("negative", "-1")]
INTEGERS = [
    ("10**30", 10**30),
    ("1e400", ("raw", "1e400")),
    ("a fraction", ("raw", "1.5")),
    ("a string", "many"),
    ("negative", -5),
]
TEXTS = [
    ("1 MB", MEGABYTE),
    ("a number", 12),
    ("NUL", "Bot\x00tega"),
    ("lone surrogate", ("raw", '"Bot\\ud800tega"')),
    ("empty", ""),
]
ENUMS = [("unknown value", "bogus"), ("wrong case", "CASH"), ("a number", 1), ("1 MB", MEGABYTE)]
MOMENTS = [
    ("year 1", "0001-01-01T00:00:00+00:00"),
    ("year 9999", "9999-12-31T23:59:59-12:00"),
    ("1999", "1999-12-31T12:00:00+01:00"),
    ("no offset", "2026-07-14T10:30:00"),
    ("not a date", "yesterday"),
]
DAYS = [("year 1", "0001-01-01"), ("year 9999", "9999-12-31"), ("2100", "2100-01-01"), ("not a date", "14/07/2026")]
MONTHS = [("year 1", "0001-01"), ("year 9999", "9999-12"), ("month 13", "2026-13"), ("a day", "2026-07-14")]

#: (endpoint, path of the field in the body, its bad values)
FIELDS = [
    (VILLAGES, ("name",), TEXTS),
    (VILLAGES, ("population",), INTEGERS),
    (PRODUCTS, ("price",), QUANTITIES),
    (PRODUCTS, ("vat_rate",), [*AMOUNTS, ("unknown rate", "7")]),
    (PRODUCTS, ("unit",), ENUMS),
    (PRODUCTS, ("name",), TEXTS),
    (RESTOCKS, ("lines", 0, "quantity"), QUANTITIES),
    (RECEIPTS, ("lines", 0, "quantity"), QUANTITIES),
    (RECEIPTS, ("payment_method",), ENUMS),
    (RECEIPTS, ("sold_at",), MOMENTS),
    (RECEIPTS, ("till_id",), TEXTS),
    (REFUNDS, ("lines", 0, "quantity"), QUANTITIES),
    (REFUNDS, ("lines", 0, "line_no"), INTEGERS),
    (REFUNDS, ("refunded_at",), MOMENTS),
    (PREFERENCES, ("language",), ENUMS),
    (PREFERENCES, ("delivery_mode",), ENUMS),
    (SETTLEMENTS, ("month",), MONTHS),
    (EXPORTS, ("from",), DAYS),
    (EXPORTS, ("format",), ENUMS),
    (KEYS, ("role",), ENUMS),
    (KEYS, ("label",), TEXTS),
    (KEYS, ("valid_days",), INTEGERS),
]

FIELD_CASES = [
    pytest.param(endpoint, path, value, id=f"{endpoint}-{'.'.join(map(str, path))}-{name}")
    for endpoint, path, values in FIELDS
    for name, value in values
]

#: whole bodies that are not a JSON object: (name, raw bytes, content type, the statuses allowed)
BODIES = [
    ("malformed JSON", b'{"name": "Dazio",', "application/json", {400}),
    ("invalid UTF-8", b'{"name": "Caf\xe9 \xff\xfe"}', "application/json", {400}),
    ("a JSON array", b"[]", "application/json", {422}),
    ("a JSON string", b'"hello"', "application/json", {422}),
    ("JSON null", b"null", "application/json", {422}),
    ("NaN at the top", b"NaN", "application/json", {422}),
    ("not JSON at all", b"name=Dazio", "application/x-www-form-urlencoded", {415}),
    ("plain text", b"hello", "text/plain", {415}),
    ("JSON without its content type", b'{"name": "Dazio"}', "text/plain", {415}),
    ("over the size limit", b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}', "application/json", {413}),
]
BODY_CASES = [
    pytest.param(endpoint, raw, content_type, statuses, id=f"{endpoint}-{name}")
    for endpoint in EVERY_ENDPOINT
    for name, raw, content_type, statuses in BODIES
]


@pytest.fixture(scope="module")
def world(fuzz_app):
    """Each service's seeded app, built on first use for this module."""
    built = {}

    def get(service: str):
        if service not in built:
            built[service] = fuzz_app(service)
        return built[service]

    return get


def _set(body: dict, path: tuple, value: Any) -> dict:
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return body


def _encode(body: dict) -> bytes:
    """The body as JSON text, its RAW placeholder replaced by the raw text it stands for."""
    raw = body.pop(RAW, None)
    text = json.dumps(body, ensure_ascii=False)
    if raw is not None:
        text = text.replace(json.dumps(RAW, ensure_ascii=False), raw)
    return text.encode("utf-8", "surrogatepass")


def _spoil(body: dict, path: tuple, value: Any) -> bytes:
    if isinstance(value, tuple) and value[0] == "raw":
        _set(body, path, RAW)
        body[RAW] = value[1]
    else:
        _set(body, path, value)
    return _encode(body)


def _rows(app) -> dict[str, int]:
    """How many rows each table of the app's database holds."""
    db = app.extensions["db"]
    with db.transaction() as session:
        names = sa.inspect(session.connection()).get_table_names()
        return {name: session.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}


def _url(app, endpoint: Endpoint) -> str:
    return endpoint.url.format(**{name: ids[0] for name, ids in app.known.items()})


def _state(app, endpoint: Endpoint) -> tuple:
    """What a refused request must leave as it was: the row count of every table, and the resource it changes."""
    changed = app.test_client().get(_url(app, endpoint)).get_json() if endpoint.method in ("PUT", "PATCH") else None
    return _rows(app), changed


def _send(app, endpoint: Endpoint, data: bytes, content_type: str):
    return app.test_client().open(_url(app, endpoint), method=endpoint.method, data=data, content_type=content_type)


def _messages(errors: Any) -> list[str]:
    if isinstance(errors, list):
        return [m for item in errors for m in _messages(item)]
    if isinstance(errors, dict):
        return [m for item in errors.values() for m in _messages(item)]
    return [errors] if isinstance(errors, str) else []


@pytest.mark.parametrize("endpoint", EVERY_ENDPOINT, ids=str)
def test_each_endpoint_accepts_its_valid_body(world, endpoint):
    # the cases below spoil one field of this body: they prove something only if it is valid as it is
    app = world(endpoint.service)
    body = _fill(endpoint.body, {**app.known, "new_id": [str(uuid.uuid4())]})
    response = _send(app, endpoint, _encode(body), "application/json")
    assert response.status_code < 300, (response.status_code, response.get_json())


@pytest.mark.parametrize("endpoint, path, value", FIELD_CASES)
def test_a_bad_field_is_a_422_naming_it_and_nothing_is_written(world, endpoint, path, value):
    app = world(endpoint.service)
    body = _fill(endpoint.body, {**app.known, "new_id": [str(uuid.uuid4())]})
    before = _state(app, endpoint)

    response = _send(app, endpoint, _spoil(body, path, value), "application/json")

    assert response.status_code in (400, 422), (response.status_code, response.get_data(as_text=True)[:300])
    answer = response.get_json()
    errors = answer["errors"]["json"]
    for part in path:  # the field is named where it is in the body, with a message saying what is wrong
        assert isinstance(errors, dict) and (str(part) in errors or part in errors), (path, answer)
        errors = errors.get(str(part), errors.get(part))
    assert _messages(errors) and all(len(message) > 5 for message in _messages(errors)), answer
    assert _state(app, endpoint) == before


@pytest.mark.parametrize("endpoint, raw, content_type, statuses", BODY_CASES)
def test_a_body_that_is_not_a_json_object_is_refused_with_a_json_error_and_nothing_is_written(
    world, endpoint, raw, content_type, statuses
):
    app = world(endpoint.service)
    before = _state(app, endpoint)

    response = _send(app, endpoint, raw, content_type)

    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    answer = response.get_json()
    assert answer["code"] == response.status_code
    assert answer.get("message") or answer.get("errors"), answer
    assert _state(app, endpoint) == before


#: (service, query URL, the parameter its 422 must name)
QUERIES = [
    ("inventory", "/villages?istat_code=123456&istat_code=654321", "istat_code"),
    ("inventory", "/producers?sector=a%00b", "sector"),
    ("inventory", "/villages?unknown=1", "unknown"),
    ("sales", "/receipts?limit=10&limit=20", "limit"),
    ("sales", "/receipts?limit=1e400", "limit"),
    ("reporting", "/reports/daily?from=2026-07-01&from=2026-08-01&to=2026-09-01&group_by=sector", "from"),
    ("reporting", "/reports/daily?from=0001-01-01&to=2026-09-01&group_by=sector", "from"),
    ("reporting", "/reports/daily?from=2026-07-01&to=9999-12-31&group_by=sector", "to"),
    ("reporting", "/settlements?month=2026-07&month=2026-08", "month"),
    ("reporting", "/settlements?month=0001-01", "month"),
    ("notifications", "/alerts?limit=10**30", "limit"),
]


@pytest.mark.parametrize("service, url, parameter", QUERIES, ids=[f"{s} {u}" for s, u, _ in QUERIES])
def test_a_bad_query_parameter_is_a_422_naming_it(world, service, url, parameter):
    response = world(service).test_client().get(url)
    assert response.status_code == 422, (response.status_code, response.get_data(as_text=True)[:300])
    assert _messages(response.get_json()["errors"]["query"][parameter])


#: CSV files no spreadsheet should send: (name, content, the message the refusal holds)
CSV_FILES = [
    # over csv's limit of 131,072, under the 500 kB above which the test client would spool the body to a file
    ("a cell of 200 kB", b"name,sector\n" + b"x" * 200_000 + b",agri-food\n", "field limit"),
    ("a NUL", b"name,sector\nBo\x00t,agri-food\n", "NUL"),
    ("binary", bytes(range(256)) * 4, "NUL"),
    ("a name of 100 kB", b"name,sector\n" + b"x" * 100_000 + b",agri-food\n", "Length must be"),
    ("no header", b"", "required"),
]


@pytest.mark.parametrize("content, message", [pytest.param(c, m, id=n) for n, c, m in CSV_FILES])
def test_an_unreadable_csv_import_is_refused_naming_the_line_and_nothing_is_written(world, content, message):
    app = world("inventory")
    before = _rows(app)
    response = app.test_client().post(
        "/imports", data={"producers": (io.BytesIO(content), "producers.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422, (response.status_code, response.get_data(as_text=True)[:300])
    assert any(message in m for m in _messages(response.get_json()["errors"]["files"]["producers"])), response.get_json()
    assert _rows(app) == before
