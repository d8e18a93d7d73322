"""Structured logging (structlog) with a correlation id carried in a context variable, and
the trace and span ids of the current span while tracing is on (`fieldline_kit.tracing`)."""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="")
# The gRPC metadata key a correlation id travels in (read by the server interceptor, sent by
# the channels' interceptor in `fieldline_kit.tracing`).
CORRELATION_HEADER = "x-correlation-id"

# Keys whose values must never reach a log line, whatever a caller passes.
_SECRET_KEYS = ("password", "secret", "token", "database_url", "authorization", "api_key")


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if any(s in key.lower() for s in _SECRET_KEYS):
            event_dict[key] = "***"
    return event_dict


def configure_logging(service: str, level: str = "info", fmt: str = "json") -> None:
    # Imported here: tracing builds on this module (the correlation id).
    from fieldline_kit.tracing import add_trace_ids

    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    logging.basicConfig(stream=sys.stderr, level=numeric, format="%(message)s", force=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            add_trace_ids,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)


@contextmanager
def correlation(cid: str | None = None) -> Iterator[str]:
    """Run a block with a correlation id (a new one when none is given)."""
    value = cid or str(uuid.uuid4())
    token = correlation_id.set(value)
    try:
        with structlog.contextvars.bound_contextvars(correlation_id=value):
            yield value
    finally:
        correlation_id.reset(token)
