"""A service started in-process exactly as `serve` runs it, for integration tests and benches.

`start_service(spec, db_factory, nats_url)` creates and migrates a fresh database (or joins
`database_url`: another replica), applies the declared JetStream topology, builds the process
with `spec.build` on local, free ports, runs it until the block ends and stops it as SIGTERM
would. The test talks to it over a real gRPC channel and reads its events with its own NATS
connection. A service's tests subclass `RunningService` to add the stubs of its API
(`cached_property` over `self.stub(...)`) and pass the subclass as `harness`.

Auth: a service whose spec has a policy runs with auth on, its tokens those of the test
process's issuer (`fieldline_kit.testing.auth.process_tokens()`), unless the test passes
`auth_jwks` itself (`auth_jwks=""`: the service refuses to start, as `serve` would). The
harness's channel calls as `ADMIN` unless a call carries its own `authorization`;
`stub(Stub, as_=Caller(...))` calls as another principal, `tokens` mints any token.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import dataclasses
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import grpc
import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

from fieldline_kit.auth.forward import BearerToken
from fieldline_kit.messaging import topology
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.service import ServiceProcess, ServiceSpec
from fieldline_kit.testing.auth import (
    ADMIN,
    Caller,
    TestTokens,
    process_jwks,
    process_signing_key,
    process_tokens,
)
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import eventually

A = TypeVar("A")
S = TypeVar("S")
H = TypeVar("H", bound="RunningService[Any]")

# What a test service changes from the defaults: the loopback, free ports, fast polls, a
# quick stop.
TEST_SETTINGS: dict[str, Any] = {
    "grpc_host": "127.0.0.1",
    "grpc_port": 0,
    "metrics_port": 0,
    "outbox_poll_seconds": 0.1,
    "shutdown_grace_seconds": 5.0,
    "drain_delay_seconds": 0.0,
}


@dataclass
class RunningService(Generic[A]):
    process: ServiceProcess
    app: A
    channel: grpc.aio.Channel
    nc: Client
    js: JetStreamContext
    database_url: str
    # The issuer of the tokens the harness sends (and the service accepts, with auth on).
    tokens: TestTokens = field(default_factory=process_tokens)
    _channels: dict[Caller, grpc.aio.Channel] = field(default_factory=dict, repr=False)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.process.grpc_port}"

    def stub(self, stub_class: Callable[[grpc.aio.Channel], S], as_: Caller | None = None) -> S:
        """A stub on the harness's channel (calling as ADMIN), or as the caller `as_`."""
        return stub_class(self.channel if as_ is None else self.channel_as(as_))

    def channel_as(self, caller: Caller) -> grpc.aio.Channel:
        """A channel whose calls carry `caller`'s token (one per caller, closed at the end)."""
        channel = self._channels.get(caller)
        if channel is None:
            channel = self._channels[caller] = _channel(self.target, self.tokens, caller)
        return channel

    async def close_channels(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()


# gRPC shares connections (subchannels) between the channels of a process by address, and
# remembers a failed address with a backoff. A test that pointed a peer at a closed port
# (`closed_port()`) can leave that failure behind for a port the OS then gives to a service of
# a later test, whose first calls would fail "connection refused": each harness channel keeps
# its own connections.
CHANNEL_OPTIONS = (("grpc.use_local_subchannel_pool", 1),)


def _channel(target: str, tokens: TestTokens, caller: Caller) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        target, options=CHANNEL_OPTIONS, interceptors=[BearerToken(tokens.source(caller))]
    )


def _auth_settings(
    spec: ServiceSpec[Any, Any], tokens: TestTokens | None, overrides: dict[str, Any]
) -> dict[str, Any]:
    """A spec with a policy: auth on with `tokens` (default: the process's), unless the test
    configures it itself. A service whose settings name a `service_signing_key` (it signs its
    own service tokens) gets the same issuer's key and name, so its peers accept its calls."""
    if spec.policy is None or "auth_jwks" in overrides:
        return {}
    issuer = tokens or process_tokens()
    if tokens is None:
        jwks, key = process_jwks(), process_signing_key()
    else:
        directory = Path(tempfile.mkdtemp(prefix="fieldline-test-auth-"))
        atexit.register(shutil.rmtree, directory, True)
        jwks, key = tokens.write_jwks(directory), tokens.write_signing_key(directory)
    settings = {"auth_jwks": str(jwks), "auth_issuers": (issuer.issuer_name,)}
    fields = {f.name for f in dataclasses.fields(spec.settings)}
    if "service_signing_key" in fields:
        settings["service_signing_key"] = str(key)
        if "service_token_issuer" in fields:
            settings["service_token_issuer"] = issuer.issuer_name
    return settings


async def start_service(
    spec: ServiceSpec[Any, Any],
    db_factory: DatabaseFactory,
    nats_url: str,
    *,
    database_url: str = "",
    ready: Callable[[Any], bool | Awaitable[bool]] | None = None,
    harness: type[H] = RunningService,  # type: ignore[assignment]
    tokens: TestTokens | None = None,
    **overrides: Any,
) -> AsyncIterator[H]:
    """Yield the running service (as a `harness`); `ready(app)`: what else to wait for after
    SERVING; `tokens`: the issuer its auth accepts and its harness sends (default: the test
    process's)."""
    url = database_url
    if not url:
        url = await db_factory.create()
        await upgrade_async(url, spec.migrations)
    issuer = tokens or process_tokens()
    async with _service(spec, url, nats_url, issuer, ready, harness, tokens, overrides) as s:
        yield s


@contextlib.asynccontextmanager
async def _service(
    spec: ServiceSpec[Any, Any],
    url: str,
    nats_url: str,
    issuer: TestTokens,
    ready: Callable[[Any], bool | Awaitable[bool]] | None,
    harness: type[H],
    tokens: TestTokens | None,
    overrides: dict[str, Any],
) -> AsyncIterator[H]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await topology.apply(js)
    settings = spec.settings(
        database_url=url,
        nats_url=nats_url,
        **{**TEST_SETTINGS, **_auth_settings(spec, tokens, overrides), **overrides},
    )
    process, app = await spec.build(settings)
    task = asyncio.create_task(process.run(install_signal_handlers=False))
    running: H | None = None
    try:
        await asyncio.wait_for(process.ready.wait(), 20)
        if ready is not None:
            await eventually(lambda: ready(app), within=20, what=f"{spec.name} ready")
        channel = _channel(f"127.0.0.1:{process.grpc_port}", issuer, ADMIN)
        running = harness(process, app, channel, nc, js, url, issuer)
        yield running
    finally:
        if running is not None:
            await running.channel.close()
            await running.close_channels()
        process.stop_requested.set()
        await asyncio.wait_for(task, 30)
        await nc.close()


service_running = contextlib.asynccontextmanager(start_service)


@contextlib.asynccontextmanager
async def replicas(
    spec: ServiceSpec[Any, Any],
    db_factory: DatabaseFactory,
    nats_url: str,
    *,
    ready: Callable[[Any], bool | Awaitable[bool]] | None = None,
    harness: type[H] = RunningService,  # type: ignore[assignment]
    tokens: TestTokens | None = None,
    **overrides: Any,
) -> AsyncIterator[tuple[H, H]]:
    """Replicas A and B of a service on one database and one NATS, as in a deployment.

    On SQLite only A runs the outbox relay (one relay per SQLite database; A publishes B's
    events too); on PostgreSQL both do, as replicas would.
    """
    async with service_running(
        spec, db_factory, nats_url, ready=ready, harness=harness, tokens=tokens, **overrides
    ) as a:
        b_relay = db_factory.backend == "postgresql"
        async with service_running(
            spec,
            db_factory,
            nats_url,
            database_url=a.database_url,
            ready=ready,
            harness=harness,
            tokens=tokens,
            **{**overrides, "run_relay": b_relay},
        ) as b:
            yield a, b
