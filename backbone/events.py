"""The event envelope, the registry of event types and their (de)serialisation.

Every event travels as one JSON document: an envelope (who, when, where, which trace) around a
payload whose shape is fixed by a marshmallow schema registered for its (type, version). The same
schema validates the payload when a producer writes it and when a consumer reads it, so a field
cannot drift between services unnoticed.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate

from backbone import tracing


class ContractError(Exception):
    """An event that cannot be read as the contract says: it must never be half-applied."""


class UnknownEventType(ContractError):
    """An event type this codebase does not know at all."""


class UnsupportedEventVersion(ContractError):
    """An event written by a newer producer than this consumer understands."""


class InvalidEvent(ContractError):
    """An event whose envelope or payload breaks its schema."""


class EventSchema(Schema):
    """Base of every payload schema: unknown fields are refused, never ignored."""

    class Meta:
        unknown = RAISE


@dataclass(frozen=True)
class EventType:
    name: str
    version: int
    stream: str
    schema: Schema


_REGISTRY: dict[str, dict[int, EventType]] = {}


def register(name: str, version: int, stream: str):
    """Class decorator: make a payload schema the contract of event `name` at `version`."""

    def decorate(schema_cls: type[EventSchema]) -> type[EventSchema]:
        versions = _REGISTRY.setdefault(name, {})
        if version in versions:
            raise RuntimeError(f"{name} v{version} is registered twice")
        versions[version] = EventType(name, version, stream, schema_cls())
        return schema_cls

    return decorate


def _load_contract() -> None:
    import backbone.contract  # noqa: F401  (its modules register every event type)


def event_type(name: str, version: int | None = None) -> EventType:
    """The registered contract of an event type, at `version` or the newest one."""
    _load_contract()
    versions = _REGISTRY.get(name)
    if not versions:
        raise UnknownEventType(f"unknown event type {name!r}")
    if version is None:
        version = max(versions)
    try:
        return versions[version]
    except KeyError:
        newest = max(versions)
        if version > newest:
            raise UnsupportedEventVersion(
                f"{name} version {version} is newer than this service understands (up to {newest})"
            ) from None
        raise InvalidEvent(f"{name} version {version} does not exist") from None


def known_types() -> dict[str, EventType]:
    """The newest contract of every registered event type."""
    _load_contract()
    return {name: versions[max(versions)] for name, versions in _REGISTRY.items()}


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Event:
    """One event: envelope fields plus the payload, loaded into Python types (Decimal, UUID, ...)."""

    type: str
    data: dict[str, Any]
    source: str
    version: int
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=_now)
    recorded_at: datetime = field(default_factory=_now)
    selling_place_id: uuid.UUID | None = None
    village_id: uuid.UUID | None = None
    trace_id: str = ""
    #: the W3C traceparent of the work that produced the event: its consumers continue that trace
    traceparent: str | None = None

    @property
    def stream(self) -> str:
        """The stream family this event travels on."""
        return event_type(self.type, self.version).stream


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    source = fields.String(required=True, validate=validate.Length(min=1, max=50))
    selling_place_id = fields.UUID(allow_none=True, load_default=None)
    village_id = fields.UUID(allow_none=True, load_default=None)
    trace_id = fields.String(required=True)
    traceparent = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    data = fields.Dict(required=True)


_envelope = EnvelopeSchema()


def new_event(
    type: str,
    data: dict[str, Any],
    *,
    source: str,
    occurred_at: datetime | None = None,
    selling_place_id: uuid.UUID | None = None,
    village_id: uuid.UUID | None = None,
    caused_by: Event | None = None,
) -> Event:
    """Build an event at the newest version of its type, refusing a payload that breaks the contract.

    `caused_by`: the event being applied that makes this one happen (when a batch is applied at
    once, the current trace is the batch's): the new event continues that event's trace.
    """
    contract = event_type(type)
    try:
        loaded = contract.schema.load(contract.schema.dump(data))
    except ValidationError as error:
        raise InvalidEvent(f"{type}: {error.messages}") from error
    now = _now()
    if caused_by is not None:
        trace_id = caused_by.trace_id or tracing.new_trace_id()
        traceparent = tracing.child_of(caused_by.traceparent, trace_id)
    else:
        trace_id = tracing.current_trace_id() or tracing.new_trace_id()
        traceparent = tracing.current_traceparent() or tracing.traceparent_of(trace_id)
    return Event(
        type=type,
        data=loaded,
        source=source,
        version=contract.version,
        occurred_at=occurred_at or now,
        recorded_at=now,
        selling_place_id=selling_place_id,
        village_id=village_id,
        trace_id=trace_id,
        traceparent=traceparent,
    )


def encode(event: Event) -> str:
    """The event as the JSON document that goes into the outbox and onto the stream."""
    contract = event_type(event.type, event.version)
    return json.dumps(
        {
            "event_id": str(event.event_id),
            "type": event.type,
            "version": event.version,
            "occurred_at": event.occurred_at.isoformat(),
            "recorded_at": event.recorded_at.isoformat(),
            "source": event.source,
            "selling_place_id": str(event.selling_place_id) if event.selling_place_id else None,
            "village_id": str(event.village_id) if event.village_id else None,
            "trace_id": event.trace_id,
            "traceparent": event.traceparent,
            "data": contract.schema.dump(event.data),
        },
        separators=(",", ":"),
    )


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


# -- a faster load of the same contract, for the consumers' hot path ----------------------------
#
# `Schema.load` costs a few hundred microseconds for a sale of three lines, most of it in the
# schema's machinery rather than in the fields. `load_fast` walks the same fields, calling each
# one's own `deserialize` (the same parsing and validators), and gives up on anything it is not
# sure of: a missing or unknown key, a value a field refuses, a schema with hooks. Giving up means
# loading with marshmallow, so a payload it refuses is refused by the schema itself, with the
# schema's own messages, and one it accepts is loaded exactly as the schema would
# (tests/unit/test_fast_load.py compares both on generated payloads).


class _Unsure(Exception):
    """The fast path cannot vouch for this input: load it with marshmallow."""


def _compile(schema: Schema):
    """A loader for `schema`'s inputs that raises _Unsure where marshmallow must decide; None if it has hooks."""
    if any(schema._hooks.values()) or schema.many or schema.partial or schema.unknown != RAISE:
        return None
    steps = []
    for name, field_obj in schema.load_fields.items():
        if (field_obj.data_key or name) != name or (field_obj.attribute or name) != name:
            return None
        if field_obj.pre_load or field_obj.post_load:
            return None
        if isinstance(field_obj, fields.List) and isinstance(field_obj.inner, fields.Nested):
            inner = _nested(field_obj.inner)
            if inner is None:
                return None
            steps.append((name, field_obj, "list", inner))
        elif isinstance(field_obj, fields.Nested):
            inner = _nested(field_obj)
            if inner is None:
                return None
            steps.append((name, field_obj, "one", inner))
        else:
            steps.append((name, field_obj, "leaf", None))
    names = frozenset(schema.load_fields)

    def load(data):
        if type(data) is not dict or not names.issuperset(data):
            raise _Unsure
        out = {}
        for name, field_obj, kind, inner in steps:
            value = data.get(name, missing)
            if kind == "leaf":
                # Field.deserialize without its per-call wrapping of the validators (the same checks)
                if value is missing:
                    if field_obj.required:
                        raise _Unsure
                    default = field_obj.load_default
                    value = default() if callable(default) else default
                    if value is not missing:
                        out[name] = value
                    continue
                if value is None:
                    if not field_obj.allow_none:
                        raise _Unsure
                    out[name] = None
                    continue
                try:
                    value = field_obj._deserialize(value, name, data)
                    for validator in field_obj.validators:
                        if validator(value) is False:
                            raise _Unsure
                except ValidationError:
                    raise _Unsure from None
                out[name] = value
                continue
            if value is missing or value is None:
                raise _Unsure  # defaults and None of nested fields: marshmallow's rules
            if kind == "list":
                if type(value) is not list:
                    raise _Unsure
                value = [inner(item) for item in value]
            else:
                value = inner(value)
            try:
                field_obj._validate(value)
            except ValidationError:
                raise _Unsure from None
            out[name] = value
        return out

    return load


def _nested(field_obj: fields.Nested):
    if field_obj.many or field_obj.only or field_obj.exclude or field_obj.pre_load or field_obj.post_load:
        return None
    schema = field_obj.schema
    if schema.only or schema.exclude or schema.load_only or schema.dump_only:
        return None
    return _compile(schema)


_LOADERS: dict[int, Any] = {}


def load_fast(schema: Schema, data: Any) -> dict:
    """`schema.load(data)`, faster where the input is plainly valid; the same result, the same refusals."""
    key = id(schema)
    if key not in _LOADERS:
        _LOADERS[key] = _compile(schema)
    loader = _LOADERS[key]
    if loader is not None:
        try:
            return loader(data)
        except _Unsure:
            pass
    return schema.load(data)


def decode(raw: str | bytes) -> Event:
    """Read an event, all or nothing: a wrong envelope, payload or version raises ContractError."""
    try:
        if isinstance(raw, str):
            raw.encode("utf-8")  # read with surrogateescape: bytes that were not UTF-8 are lone surrogates here
    except UnicodeEncodeError as error:
        raise InvalidEvent(f"not UTF-8: {error}") from error
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidEvent(f"not JSON: {error}") from error
    if not isinstance(document, dict):
        raise InvalidEvent("an event must be a JSON object")
    # JSON can only carry a NUL escaped: walk the document only when the text holds that escape
    if (b"\\u0000" if isinstance(raw, bytes) else "\\u0000") in raw and _has_nul(document):
        raise InvalidEvent("text with a NUL character, which no database stores")
    try:
        envelope = load_fast(_envelope, document)
    except ValidationError as error:
        raise InvalidEvent(f"bad envelope: {error.messages}") from error
    contract = event_type(envelope["type"], envelope["version"])
    try:
        data = load_fast(contract.schema, envelope["data"])
    except ValidationError as error:
        raise InvalidEvent(f"{contract.name} v{contract.version}: {error.messages}") from error
    return Event(**{**envelope, "data": data})
