"""Distributed tracing (OpenTelemetry): off by default, on through the standard OTEL_* variables.

A request is one trace across the services: the gRPC server span of each call (gRPC's
OpenTelemetry instrumentation on both sides, trace context in the `traceparent` metadata), the
calls it makes to other services, the outbox row its events are written in (the envelope's
`trace_context`, captured when the row is written), the relay's publish of that row, and the
consumer that applies the event in another service (its span a child of the writer's). Log
lines carry `trace_id` and `span_id` while a span is current.

Work coalesced from several calls (`fieldline_kit.batching.Batcher`) runs in a span of its own
linked to each caller's span; a batch of one is a child of its caller's span, so a lone request
stays one trace. The events a batch writes carry each call's own trace context (`Origin`).

Configuration (read by `configure_from_env` when a service starts):

* `OTEL_TRACES_EXPORTER`: `otlp` (OTLP over gRPC), `console` (spans on stdout), or a comma list
  of both; unset or `none` — the default — means no tracing and no tracing overhead (the
  OpenTelemetry default is `otlp`; ours is off, so nothing is exported anywhere unasked).
* `OTEL_SDK_DISABLED=true` turns it off whatever the exporter says.
* The exporter, sampler and resource read their own standard variables:
  `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `…_HEADERS`,
  `…_CERTIFICATE`, `…_TIMEOUT`; `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`;
  `OTEL_SERVICE_NAME` (default: the service's name) and `OTEL_RESOURCE_ATTRIBUTES`;
  `OTEL_BSP_*` for batching spans. `OTEL_EXPORTER_OTLP_PROTOCOL` may only be `grpc`.

Trace context of a work item travels as a W3C carrier (`traceparent`, `tracestate`): a plain
`dict[str, str]`, the form it has in gRPC metadata and in the event envelope.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor
from opentelemetry.instrumentation.grpc import filters as grpc_filters
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from fieldline_kit.logging import CORRELATION_HEADER, correlation_id
from fieldline_kit.settings import SettingsError

Carrier = Mapping[str, str]

INSTRUMENTATION = "fieldline"
_NOOP = trace.NoOpTracer()
_provider: TracerProvider | None = None

# Calls that are not work: health probes every few seconds, and the reflection stream.
_NOT_TRACED = grpc_filters.negate(
    grpc_filters.any_of(
        grpc_filters.health_check(),
        grpc_filters.service_prefix("grpc.reflection."),
    )
)


def enabled() -> bool:
    return _provider is not None


def tracer() -> trace.Tracer:
    """The kit's tracer: a no-op one (no spans, no cost beyond a call) while tracing is off."""
    return _provider.get_tracer(INSTRUMENTATION) if _provider is not None else _NOOP


def install(provider: TracerProvider) -> None:
    """Trace with `provider` from now on (`configure_from_env` does; tests pass their own).

    The provider stays the kit's own rather than OpenTelemetry's global one, so a test
    process can turn tracing on for some services and off again."""
    global _provider
    _provider = provider


def uninstall() -> None:
    """Stop tracing: flush what was recorded and go back to no spans at all."""
    global _provider
    provider, _provider = _provider, None
    if provider is not None:
        provider.shutdown()


def _exporters(names: str, environ: Mapping[str, str]) -> list[SpanExporter]:
    exporters: list[SpanExporter] = []
    for name in (n.strip().lower() for n in names.split(",")):
        if name == "otlp":
            protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get(
                "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"
            )
            if protocol != "grpc":
                raise SettingsError(
                    f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r}: only 'grpc' is supported"
                )
            # Imported here: it pulls in the OTLP protos, needless while tracing is off.
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            exporters.append(OTLPSpanExporter())
        elif name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name not in ("", "none"):
            raise SettingsError(
                f"OTEL_TRACES_EXPORTER={names!r}: {name!r} is none of otlp, console, none"
            )
    return exporters


def configure_from_env(service: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Turn tracing on as the OTEL_* variables say (see the module docstring); True if on."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = _exporters(environ.get("OTEL_TRACES_EXPORTER", "none"), environ)
    if not exporters:
        return False
    provider = TracerProvider(
        resource=Resource.create({"service.name": environ.get("OTEL_SERVICE_NAME") or service})
    )
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    install(provider)
    return True


def provider_with(processor: SpanProcessor, service: str = "test") -> TracerProvider:
    """A provider sending every span to `processor` (tests: a SimpleSpanProcessor over an
    in-memory exporter)."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(processor)
    return provider


# -- gRPC ------------------------------------------------------------------------------------
def server_interceptors() -> list[grpc.aio.ServerInterceptor]:
    """OpenTelemetry's server interceptor while tracing is on (it goes first, so everything
    the kit's own interceptor does — auth, logs — happens inside the call's span)."""
    if _provider is None:
        return []
    return [aio_server_interceptor(tracer_provider=_provider, filter_=_NOT_TRACED)]


def client_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """What every channel to another service carries: the correlation id always, and the
    trace context (a client span per call) while tracing is on."""
    interceptors: list[grpc.aio.ClientInterceptor] = [CorrelationId()]
    if _provider is not None:
        interceptors += aio_client_interceptors(tracer_provider=_provider)
    return interceptors


class CorrelationId(grpc.aio.UnaryUnaryClientInterceptor):
    """Sends the current correlation id (`x-correlation-id`) on each call that has none, so
    the callee's logs and events carry the caller's."""

    async def intercept_unary_unary(
        self, continuation: Any, client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        cid = correlation_id.get()
        metadata = list(client_call_details.metadata or ())
        if cid and all(key != CORRELATION_HEADER for key, _ in metadata):
            metadata.append((CORRELATION_HEADER, cid))
            client_call_details = grpc.aio.ClientCallDetails(
                client_call_details.method,
                client_call_details.timeout,
                grpc.aio.Metadata(*metadata),
                client_call_details.credentials,
                client_call_details.wait_for_ready,
            )
        return await continuation(client_call_details, request)


# -- work items and messages -----------------------------------------------------------------
def carrier() -> dict[str, str]:
    """The current trace context as a W3C carrier ({} while tracing is off or no span)."""
    if _provider is None:
        return {}
    out: dict[str, str] = {}
    propagate.inject(out)
    return out


def parent(carried: Carrier) -> otel_context.Context:
    """The context a carrier names; for an empty one an empty context, so that the span starts
    a trace of its own rather than joining whatever span is current where it is made."""
    return propagate.extract(carried) if carried else otel_context.Context()


@dataclass(frozen=True)
class Origin:
    """Where a piece of work comes from: its request's correlation id and trace context.

    Captured by whoever hands work on to be done elsewhere (a batch, the outbox), so that what
    is done there carries the request's ids rather than whatever context it happens to run in.
    """

    correlation: str = ""
    trace: Carrier = field(default_factory=dict)

    @classmethod
    def here(cls) -> Origin:
        return cls(correlation_id.get(), carrier())


@contextmanager
def batch_span(name: str, origins: Sequence[Origin]) -> Iterator[None]:
    """The span of a batch of work items: a child of the item's own span for a batch of one,
    else a new trace linked to every item's span (OpenTelemetry's model for batches)."""
    if _provider is None:
        yield
        return
    contexts = [propagate.extract(o.trace) for o in origins if o.trace]
    if len(origins) == 1 and contexts:
        span_parent = contexts[0]
        links: list[trace.Link] = []
    else:
        span_parent = otel_context.Context()  # a new trace, not the worker's stale context
        links = [trace.Link(trace.get_current_span(c).get_span_context()) for c in contexts]
    with tracer().start_as_current_span(
        f"batch {name}",
        context=span_parent,
        links=links,
        attributes={"fieldline.batch.size": len(origins)},
    ):
        yield


@contextmanager
def message_span(
    name: str, carried: Carrier, kind: trace.SpanKind, attributes: Mapping[str, Any]
) -> Iterator[trace.Span]:
    """A span for one message (publish or process), a child of the context it carries."""
    if _provider is None:
        yield trace.INVALID_SPAN
        return
    with tracer().start_as_current_span(
        name, context=parent(carried), kind=kind, attributes=dict(attributes)
    ) as span:
        yield span


# -- logs ------------------------------------------------------------------------------------
def add_trace_ids(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the current span's trace and span ids on every line while one is
    current (W3C hex forms, as tracing back ends show them)."""
    if _provider is None:
        return event_dict
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict["trace_id"] = trace.format_trace_id(ctx.trace_id)
        event_dict["span_id"] = trace.format_span_id(ctx.span_id)
    return event_dict
