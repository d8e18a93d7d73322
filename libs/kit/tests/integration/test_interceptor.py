"""Kit interceptor: pre-serialized responses pass through, messages are serialized, errors map."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import grpc
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from fieldline.clients.v1 import resources_pb2
from fieldline_kit.errors import NotFound
from fieldline_kit.grpc.interceptor import (
    DATABASE_UNAVAILABLE,
    ServerInterceptor,
    passing_bytes,
)
from fieldline_kit.grpc.server import GrpcServer, create_server
from fieldline_kit.testing.helpers import closed_port, new_id, unary_method, unary_service

SERVICE = "test.Things"
Client = resources_pb2.Client


async def get_thing(request: Client, context: grpc.aio.ServicerContext) -> Client | bytes:
    """Answers with a message, with its bytes, or with an error, as the request's name says."""
    reply = Client(id=request.id, name=f"thing {request.id}", version=7)
    if request.name == "message":
        return reply
    if request.name == "bytes":
        return reply.SerializeToString()
    if request.name == "database down":  # a real connection attempt, refused
        engine = create_async_engine(f"postgresql+asyncpg://x@127.0.0.1:{closed_port()}/x")
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await engine.dispose()
    if request.name == "bug":
        raise KeyError("a bug")
    raise NotFound("thing", request.id, "id")


@pytest.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    register = unary_service(SERVICE, {"Get": get_thing}, Client)
    server: GrpcServer = await create_server("kit-test", "127.0.0.1", 0, register)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as ch:
            yield ch
    finally:
        await server.stop(0)


def call(channel: grpc.aio.Channel) -> grpc.aio.UnaryUnaryMultiCallable:
    return unary_method(channel, SERVICE, "Get", Client)


async def test_a_message_response_is_serialized(channel: grpc.aio.Channel) -> None:
    reply = await call(channel)(Client(id="1", name="message"))
    assert reply == Client(id="1", name="thing 1", version=7)


async def test_a_bytes_response_goes_out_unchanged(channel: grpc.aio.Channel) -> None:
    raw = channel.unary_unary(f"/{SERVICE}/Get")  # no (de)serializers: bytes both ways
    body = await raw(Client(id="2", name="bytes").SerializeToString())
    assert body == Client(id="2", name="thing 2", version=7).SerializeToString()
    assert await call(channel)(Client(id="2", name="bytes")) == Client.FromString(body)


async def test_errors_still_map_to_status_codes(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call(channel)(Client(id="3", name="missing"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_the_database_out_of_reach_is_unavailable_a_bug_internal(
    channel: grpc.aio.Channel,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call(channel)(Client(id="4", name="database down"))
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE  # callers retry an outage
    assert err.value.details() == DATABASE_UNAVAILABLE
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call(channel)(Client(id="5", name="bug"))
    assert err.value.code() == grpc.StatusCode.INTERNAL
    assert err.value.details() == "internal error"  # no details of a bug leave the service


def test_passing_bytes_wraps_a_serializer() -> None:
    assert passing_bytes(None) is None
    serialize = passing_bytes(Client.SerializeToString)
    assert serialize is not None
    message = Client(id="4")
    assert serialize(message) == message.SerializeToString()
    assert serialize(b"\x0a\x01x") == b"\x0a\x01x"


class StatusSentFirst:
    """What a servicer context does on `abort`: it sends the status — the caller has its
    answer from here on — and then raises. Notes what the metrics said at the sending."""

    def __init__(self, label: str) -> None:
        self._label = label
        self.counted_when_sent: dict[str, float | None] = {}

    async def abort(self, code: grpc.StatusCode, details: str = "") -> None:
        labels = {"service": self._label, "grpc_method": f"/{SERVICE}/Get"}
        self.counted_when_sent = {
            "handled": REGISTRY.get_sample_value(
                "fieldline_grpc_server_handled_total", {**labels, "grpc_code": code.name}
            ),
            "in flight": REGISTRY.get_sample_value(
                "fieldline_grpc_server_in_flight_rpcs", {"service": self._label}
            ),
        }
        raise grpc.aio.AbortError(details)

    def code(self) -> grpc.StatusCode | None:
        return None


@pytest.mark.parametrize(("name", "code"), [("missing", "NOT_FOUND"), ("bug", "INTERNAL")])
async def test_a_refused_call_is_counted_before_its_status_goes_out(name: str, code: str) -> None:
    # The status reaches the caller before `abort` raises: counting after it let a caller
    # that has its refusal (a replicas test reading the metrics) find the call not yet counted.
    label = f"kit-count-{new_id()[:8]}"
    interceptor = ServerInterceptor(label)
    method = f"/{SERVICE}/Get"
    inner = grpc.unary_unary_rpc_method_handler(get_thing)

    async def continuation(details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        return inner

    details = SimpleNamespace(method=method, invocation_metadata=())
    handler = await interceptor.intercept_service(continuation, details)
    context = StatusSentFirst(label)
    with pytest.raises(grpc.aio.AbortError):
        await handler.unary_unary(Client(id="6", name=name), context)
    assert context.counted_when_sent == {"handled": 1.0, "in flight": 0.0}
