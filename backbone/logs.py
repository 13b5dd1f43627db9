"""Structured JSON logs, one line per record, carrying the request, event and trace ids."""

import logging
import sys

import structlog


def _trace_id(_logger, _method, event: dict) -> dict:
    # every line names the trace it belongs to: a request, an event being applied, a task
    if "trace_id" not in event:
        from backbone import tracing

        trace_id = tracing.current_trace_id()
        if trace_id:
            event["trace_id"] = trace_id
    return event


def configure_logging(level: str = "INFO") -> None:
    """Send structlog and the standard library's logging as JSON lines to stderr."""
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    shared = [
        structlog.contextvars.merge_contextvars,
        _trace_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.JSONRenderer()],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
