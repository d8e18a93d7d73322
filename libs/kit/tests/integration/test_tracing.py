"""Correlation id and trace context across a real gRPC call, and tracing's configuration.

The callee is a kit server (`create_server`) answering with the correlation id it runs under
and the trace id of its current span; the caller uses the kit's `open_channel`, as a service's
client of another service does.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import pytest
import pytest_asyncio
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from fieldline_kit import tracing
from fieldline_kit.grpc.server import GrpcServer, create_server
from fieldline_kit.grpc.tls import open_channel
from fieldline_kit.logging import correlation, correlation_id
from fieldline_kit.settings import SettingsError
from fieldline_kit.testing.helpers import unary_service

METHOD = "/fieldline.test.v1.Echo/WhoAmI"


async def who_am_i(_request: bytes, _context: grpc.aio.ServicerContext) -> bytes:
    span = trace.get_current_span().get_span_context()
    trace_id = trace.format_trace_id(span.trace_id) if span.is_valid else ""
    return json.dumps({"correlation": correlation_id.get(), "trace_id": trace_id}).encode()


register = unary_service("fieldline.test.v1.Echo", {"WhoAmI": who_am_i})  # bytes both ways


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.install(tracing.provider_with(SimpleSpanProcessor(exporter)))
    try:
        yield exporter
    finally:
        tracing.uninstall()


@pytest_asyncio.fixture
async def echo() -> AsyncIterator[GrpcServer]:
    # Built inside the test: the interceptors are chosen as tracing is when the server is made.
    server = await create_server("tracing-test", "127.0.0.1", 0, register)
    await server.start()
    try:
        yield server
    finally:
        await server.stop(0)


async def call(server: GrpcServer) -> dict[str, str]:
    async with open_channel(f"127.0.0.1:{server.port}", None) as channel:
        reply = await channel.unary_unary(METHOD)(b"", timeout=5)
    result: dict[str, str] = json.loads(reply)
    return result


async def test_the_correlation_id_goes_along_on_every_internal_call(echo: GrpcServer) -> None:
    with correlation("request-42"):
        assert (await call(echo))["correlation"] == "request-42"
    # A call made outside any request: the callee starts a correlation of its own.
    assert (await call(echo))["correlation"] not in ("", "request-42")


async def test_with_tracing_off_no_span_is_made(echo: GrpcServer) -> None:
    assert (await call(echo))["trace_id"] == ""


async def test_the_callee_s_span_continues_the_caller_s_trace(spans: InMemorySpanExporter) -> None:
    server = await create_server("tracing-test", "127.0.0.1", 0, register)
    await server.start()
    try:
        with tracing.tracer().start_as_current_span("caller") as caller:
            seen = await call(server)
    finally:
        await server.stop(0)
    caller_trace = trace.format_trace_id(caller.get_span_context().trace_id)
    assert seen["trace_id"] == caller_trace
    by_kind = {s.kind: s for s in spans.get_finished_spans()}
    client, served = by_kind[trace.SpanKind.CLIENT], by_kind[trace.SpanKind.SERVER]
    assert client.parent is not None and client.parent.span_id == caller.get_span_context().span_id
    assert served.parent is not None and served.parent.span_id == client.context.span_id
    assert served.name == client.name == METHOD


async def test_health_checks_make_no_spans(spans: InMemorySpanExporter) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    server = await create_server("tracing-test", "127.0.0.1", 0, register)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    finally:
        await server.stop(0)
    assert spans.get_finished_spans() == ()


def test_log_lines_carry_the_trace_and_span_ids(spans: InMemorySpanExporter) -> None:
    with tracing.tracer().start_as_current_span("work") as span:
        line = tracing.add_trace_ids(None, "info", {"event": "x"})
    ctx = span.get_span_context()
    assert line == {
        "event": "x",
        "trace_id": trace.format_trace_id(ctx.trace_id),
        "span_id": trace.format_span_id(ctx.span_id),
    }
    assert tracing.add_trace_ids(None, "info", {"event": "y"}) == {"event": "y"}  # no span


def test_configured_logging_adds_the_trace_ids() -> None:
    from fieldline_kit.logging import configure_logging

    before = structlog.get_config()
    try:
        configure_logging("tracing-test")
        assert tracing.add_trace_ids in structlog.get_config()["processors"]
    finally:
        structlog.configure(**before)


# -- configuration ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"OTEL_TRACES_EXPORTER": "none"},
        {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"},
    ],
    ids=["unset", "none", "sdk-disabled"],
)
def test_tracing_is_off_unless_an_exporter_is_named(environ: dict[str, str]) -> None:
    assert tracing.configure_from_env("orders", environ) is False
    assert not tracing.enabled()


def test_an_otlp_exporter_turns_it_on_under_the_service_s_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The exporter reads its endpoint itself; nothing listens there, and nothing is sent
    # before shutdown (no span is made).
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    try:
        assert tracing.configure_from_env("orders", {"OTEL_TRACES_EXPORTER": "otlp"})
        assert tracing.enabled()
        provider: Any = tracing._provider
        assert provider.resource.attributes["service.name"] == "orders"
    finally:
        tracing.uninstall()
    assert not tracing.enabled()


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"OTEL_TRACES_EXPORTER": "jaeger"}, "'jaeger' is none of otlp, console, none"),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
            "only 'grpc' is supported",
        ),
    ],
)
def test_a_bad_tracing_configuration_is_refused_by_name(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        tracing.configure_from_env("orders", environ)
    assert not tracing.enabled()


def test_a_message_span_continues_the_trace_its_message_carries_and_no_other(
    spans: InMemorySpanExporter,
) -> None:
    with tracing.tracer().start_as_current_span("writer") as writer:
        carried = tracing.carrier()
    with tracing.tracer().start_as_current_span("unrelated work of the consumer's loop"):
        with tracing.message_span("process a", carried, trace.SpanKind.CONSUMER, {}) as span:
            assert span.get_span_context().trace_id == writer.get_span_context().trace_id
        # A message written with tracing off carries nothing: a trace of its own.
        with tracing.message_span("process b", {}, trace.SpanKind.CONSUMER, {}):
            pass
    by_name = {s.name: s for s in spans.get_finished_spans()}
    assert by_name["process a"].parent is not None
    assert by_name["process a"].parent.span_id == writer.get_span_context().span_id
    assert by_name["process b"].parent is None
