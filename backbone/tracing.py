"""The trace id that follows one sale from the shop's request through every event and task."""

import uuid
from contextvars import ContextVar

_trace_id: ContextVar[str | None] = ContextVar("trace_id", default=None)


def new_trace_id() -> str:
    """A fresh W3C-sized trace id (32 hex digits)."""
    return uuid.uuid4().hex


def current_trace_id() -> str | None:
    """The trace id of the request, event or task being handled, if any."""
    return _trace_id.get()


def bind_trace_id(trace_id: str | None):
    """Make `trace_id` current; returns a token for `reset_trace_id`."""
    return _trace_id.set(trace_id)


def reset_trace_id(token) -> None:
    """Restore the trace id that was current before `bind_trace_id`."""
    _trace_id.reset(token)
