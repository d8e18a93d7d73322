"""Small helpers every test suite uses: ids, waiting for a condition, a refused call (now, or
within a bound), a closed port, a test's own gRPC service and a caller of its methods."""

from __future__ import annotations

import asyncio
import inspect
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import grpc
import pytest
from google.protobuf.message import Message

T = TypeVar("T")
Handler = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


def new_id() -> str:
    """A new random UUID as text, as every Fieldline id is."""
    return str(uuid.uuid4())


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    *,
    within: float = 10.0,
    every: float = 0.05,
    what: str = "condition",
) -> None:
    """Wait until `condition()` (sync or async) holds; fail the test after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"{what} not met within {within}s")
        await asyncio.sleep(every)


async def eventually_value(
    probe: Callable[[], Awaitable[T]],
    ok: Callable[[T], bool],
    *,
    within: float = 20.0,
    every: float = 0.3,
) -> T:
    """`probe()` until `ok` holds for its value, at most `within` seconds; the last value
    either way (the test asserts on it, so a failure shows what was seen)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = await probe()
        if ok(value) or loop.time() > deadline:
            return value
        await asyncio.sleep(every)


async def expect_error(
    call: Awaitable[Any], code: grpc.StatusCode, *needles: str
) -> grpc.aio.AioRpcError:
    """Await a gRPC `call` that must fail with `code`, its details holding every `needle`; the
    error, for more checks (`.details()`)."""
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    details = info.value.details() or ""
    assert info.value.code() == code, f"{info.value.code().name}: {details}"
    for needle in needles:
        assert needle in details, details
    return info.value


async def refused_within(
    call: Callable[[], Awaitable[Any]], code: grpc.StatusCode, bound: float
) -> float:
    """Seconds until a fresh `call()` fails with `code`, trying every 50 ms; the test fails
    if it still does not after `bound` seconds (a change that must take effect within a
    documented time, e.g. a dismissed employee's token)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        try:
            await call()
        except grpc.aio.AioRpcError as exc:
            if exc.code() == code:
                return loop.time() - start
        elapsed = loop.time() - start
        assert elapsed < bound, f"still not {code.name} after {elapsed:.2f} s"
        await asyncio.sleep(0.05)


def closed_port() -> int:
    """A port nothing listens on (bound, then released): a peer that is down."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def unary_service(
    service: str, methods: Mapping[str, Handler], message: type[Message] | None = None
) -> Callable[[grpc.aio.Server], list[str]]:
    """A `register` for `create_server` (or called on any server): `service` answering its
    unary `methods` (name → handler), each taking and answering a `message` (bytes if None)."""

    def register(server: grpc.aio.Server) -> list[str]:
        handlers = {
            name: grpc.unary_unary_rpc_method_handler(
                handler,
                request_deserializer=message.FromString if message else None,
                response_serializer=message.SerializeToString if message else None,
            )
            for name, handler in methods.items()
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
        return [service]

    return register


def unary_method(
    channel: grpc.aio.Channel, service: str, method: str, message: type[Message] | None = None
) -> grpc.aio.UnaryUnaryMultiCallable:
    """A caller of `service`'s unary `method` over `channel`, a `message` each way (bytes if
    None)."""
    return channel.unary_unary(
        f"/{service}/{method}",
        request_serializer=message.SerializeToString if message else None,
        response_deserializer=message.FromString if message else None,
    )
