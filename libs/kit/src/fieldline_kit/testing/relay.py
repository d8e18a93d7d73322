"""A stand-in for the token a service does not send yet: a local gRPC relay that adds one.

A service whose `ServiceSpec` has no policy has not adopted auth: it sends no token, so it
cannot reach a service that checks them. Until it does, the kit's test harness and the local
runner point it at a `TokenRelay` instead of the real address: each unary call goes on to
`upstream` as it came (metadata, deadline), with `authorization: Bearer <token()>` added
unless it has one (the caller's service token: `svc:<name>`, role SERVICE), and the answer,
or the status and details, come back unchanged. It never runs in a deployment; once the
caller has a policy it sends its own tokens and no relay is put in between.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import grpc

from fieldline_kit.auth.grpc_auth import AUTHORIZATION
from fieldline_kit.logging import get_logger

log = get_logger("fieldline.testing.relay")

# As the callers' own channels do: try a lost upstream again about every second.
UPSTREAM_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 1000),
    ("grpc.min_reconnect_backoff_ms", 1000),
    ("grpc.max_reconnect_backoff_ms", 1000),
)
# Metadata gRPC sets itself on the next hop.
_OWN = ("user-agent",)


class _Forward(grpc.GenericRpcHandler):
    def __init__(self, relay: TokenRelay) -> None:
        self.relay = relay

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method = str(details.method)
        relay = self.relay

        async def forward(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            metadata = [
                (k, v)
                for k, v in context.invocation_metadata() or ()
                if k not in _OWN and not k.startswith((":", "grpc-"))
            ]
            if not any(k == AUTHORIZATION for k, _ in metadata):
                metadata.append((AUTHORIZATION, f"Bearer {relay.token()}"))
            call = relay.channel().unary_unary(method)
            try:
                reply: bytes = await call(
                    request, metadata=metadata, timeout=context.time_remaining()
                )
            except grpc.aio.AioRpcError as exc:
                await context.abort(exc.code(), exc.details() or "")
            return reply

        return grpc.unary_unary_rpc_method_handler(forward)


class TokenRelay:
    """Relays calls to `upstream`, each with the token `token()` gives."""

    def __init__(self, upstream: str, token: Callable[[], str], host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self.token = token
        self.host = host
        self.target = ""  # where callers go instead of `upstream`, once started
        self._server: grpc.aio.Server | None = None
        self._channel: grpc.aio.Channel | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def channel(self) -> grpc.aio.Channel:
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(self.upstream, options=UPSTREAM_OPTIONS)
        return self._channel

    async def start(self) -> str:
        """Listen on a free port of `host`; the address to give callers."""
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((_Forward(self),))
        port = server.add_insecure_port(f"{self.host}:0")
        await server.start()
        self._server = server
        self.target = f"{self.host}:{port}"
        log.info("token relay", listens=self.target, upstream=self.upstream)
        return self.target

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(1)
            self._server = None
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    # -- for a caller without an event loop of its own (the local runner) ------------------
    def start_in_thread(self) -> str:
        """`start()` on an event loop of its own, in a daemon thread."""
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="token-relay", daemon=True)
        self._thread.start()
        started.wait(30)
        if failure:
            raise failure[0]
        return self.target

    def stop_in_thread(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        future: Any = asyncio.run_coroutine_threadsafe(self.stop(), loop)
        future.result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = self._thread = None
