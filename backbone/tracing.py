"""Following one sale from the shop's request through every service and task (OpenTelemetry).

Every event carries the W3C `traceparent` of the work that produced it; a consumer continues that
trace while it applies the event, and Celery carries it into tasks, so the events and tasks a sale
causes share its trace id. Spans are exported when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (OTLP over
HTTP, to a collector); without it the ids still flow and land in every log line.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from contextvars import ContextVar

from opentelemetry import propagate, trace

_trace_id: ContextVar[str | None] = ContextVar("trace_id", default=None)
_tracer = trace.get_tracer("selling-places")
_configured = False


def configure(service: str) -> bool:
    """Export this process's spans to the OTLP endpoint of the environment, if one is set (once per process).

    Returns whether spans are exported, i.e. whether instrumenting anything is worth its cost.
    """
    global _configured
    if _configured or not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return _configured
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True
    return True


def new_trace_id() -> str:
    """A fresh W3C-sized trace id (32 hex digits)."""
    return uuid.uuid4().hex


def current_trace_id() -> str | None:
    """The trace id of the request, event or task being handled, if any."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        return format(context.trace_id, "032x")
    return _trace_id.get()


def current_traceparent() -> str | None:
    """The W3C traceparent of the current work, to carry inside the events it produces."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if "traceparent" in carrier:
        return carrier["traceparent"]
    trace_id = _trace_id.get()
    return traceparent_of(trace_id) if trace_id else None


def traceparent_of(trace_id: str) -> str:
    """A traceparent in trace `trace_id` (for work that started outside any traced request)."""
    return f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"


def bind_trace_id(trace_id: str | None):
    """Make `trace_id` current; returns a token for `reset_trace_id`."""
    return _trace_id.set(trace_id)


def reset_trace_id(token) -> None:
    """Restore the trace id that was current before `bind_trace_id`."""
    _trace_id.reset(token)


def child_of(traceparent: str | None, trace_id: str) -> str:
    """A traceparent for work caused by `traceparent`'s: the same trace, a span of its own."""
    if traceparent and traceparent.count("-") == 3:
        version, parent_trace, _span, flags = traceparent.split("-")
        return f"{version}-{parent_trace}-{uuid.uuid4().hex[:16]}-{flags}"
    return traceparent_of(trace_id)


@contextlib.contextmanager
def applying_batch(traceparents: list[str | None], name: str):
    """Apply a batch of events in one span linked to each event's trace (a span has one parent only)."""
    links = []
    for traceparent in traceparents if _configured else ():  # no spans exported: links nobody reads
        if traceparent:
            context = trace.get_current_span(propagate.extract({"traceparent": traceparent})).get_span_context()
            if context.is_valid:
                links.append(trace.Link(context))
    with _tracer.start_as_current_span(name, links=links, kind=trace.SpanKind.CONSUMER):
        yield


@contextlib.contextmanager
def continuing(traceparent: str | None, trace_id: str | None, name: str):
    """Apply an event inside the trace that produced it (a consumer span whose parent is the producer)."""
    parent = propagate.extract({"traceparent": traceparent}) if traceparent else None
    token = _trace_id.set(trace_id)
    try:
        with _tracer.start_as_current_span(name, context=parent, kind=trace.SpanKind.CONSUMER):
            yield
    finally:
        _trace_id.reset(token)
