"""Tokens on outgoing calls: `BearerToken` on a channel. Over real local gRPC servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
import pytest_asyncio

from fieldline.clients.v1 import resources_pb2
from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.keys import generate_signing_key

Client = resources_pb2.Client
SERVICE = "test.Echo"


@pytest_asyncio.fixture
async def echo() -> AsyncIterator[str]:
    """`Seen` answers the `authorization` it got (in `name`) and its deadline (in `inn`);
    `Fail` answers FAILED_PRECONDITION "nope"; `Slow` takes 2 s."""

    async def seen(request: Client, context: grpc.aio.ServicerContext) -> Client:
        auth = [v for k, v in context.invocation_metadata() or () if k == "authorization"]
        left = context.time_remaining()
        return Client(name="|".join(map(str, auth)), inn=f"{left:.0f}" if left else "")

    async def fail(request: Client, context: grpc.aio.ServicerContext) -> Client:
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "nope")
        raise AssertionError

    async def slow(request: Client, context: grpc.aio.ServicerContext) -> Client:
        await asyncio.sleep(2)
        return Client()

    handlers = {
        name: grpc.unary_unary_rpc_method_handler(
            fn, request_deserializer=Client.FromString, response_serializer=Client.SerializeToString
        )
        for name, fn in {"Seen": seen, "Fail": fail, "Slow": slow}.items()
    }
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


def rpc(channel: grpc.aio.Channel, name: str = "Seen") -> grpc.aio.UnaryUnaryMultiCallable:
    return channel.unary_unary(
        f"/{SERVICE}/{name}",
        request_serializer=Client.SerializeToString,
        response_deserializer=Client.FromString,
    )


async def test_bearer_token_is_on_every_call_unless_the_call_has_its_own(echo: str) -> None:
    asked = []

    def token() -> str:
        asked.append(1)
        return f"t{len(asked)}"

    async with grpc.aio.insecure_channel(echo, interceptors=[BearerToken(token)]) as channel:
        assert (await rpc(channel)(Client())).name == "Bearer t1"
        assert (await rpc(channel)(Client())).name == "Bearer t2"
        own = await rpc(channel)(Client(), metadata=(("authorization", "Bearer mine"),))
        assert own.name == "Bearer mine"
    assert len(asked) == 2


def test_a_token_source_mints_again_before_its_token_expires() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    issuer = TokenIssuer([generate_signing_key()], "https://a.test", clock=lambda: now[0])
    source = issuer.source("e-1", "employee", ["AGENT"])
    first = source()
    now[0] += timedelta(minutes=9)
    assert source() == first  # two thirds of 15 minutes not yet gone
    now[0] += timedelta(minutes=2)
    assert source() != first
    with pytest.raises(ValueError, match="kind"):
        issuer.source("e-1", "robot")
