"""A service started in-process exactly as `serve` runs it, for integration tests and benches.

`start_service(spec, db_factory, nats_url)` creates and migrates a fresh database (or joins
`database_url`: another replica), applies the declared JetStream topology, builds the process
with `spec.build` on local, free ports, runs it until the block ends and stops it as SIGTERM
would. The test talks to it over a real gRPC channel and reads its events with its own NATS
connection. A service's tests subclass `RunningService` to add the stubs of its API
(`cached_property` over `self.stub(...)`) and pass the subclass as `harness`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import grpc
import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

from fieldline_kit.messaging import topology
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.service import ServiceProcess, ServiceSpec
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

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.process.grpc_port}"

    def stub(self, stub_class: Callable[[grpc.aio.Channel], S]) -> S:
        return stub_class(self.channel)


async def start_service(
    spec: ServiceSpec[Any, Any],
    db_factory: DatabaseFactory,
    nats_url: str,
    *,
    database_url: str = "",
    ready: Callable[[Any], bool | Awaitable[bool]] | None = None,
    harness: type[H] = RunningService,  # type: ignore[assignment]
    **overrides: Any,
) -> AsyncIterator[H]:
    """Yield the running service (as a `harness`); `ready(app)`: what else to wait for after
    SERVING."""
    url = database_url
    if not url:
        url = await db_factory.create()
        await upgrade_async(url, spec.migrations)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await topology.apply(js)
    settings = spec.settings(database_url=url, nats_url=nats_url, **{**TEST_SETTINGS, **overrides})
    process, app = await spec.build(settings)
    task = asyncio.create_task(process.run(install_signal_handlers=False))
    channel: grpc.aio.Channel | None = None
    try:
        await asyncio.wait_for(process.ready.wait(), 20)
        if ready is not None:
            await eventually(lambda: ready(app), within=20, what=f"{spec.name} ready")
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{process.grpc_port}")
        yield harness(process, app, channel, nc, js, url)
    finally:
        if channel is not None:
            await channel.close()
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
    **overrides: Any,
) -> AsyncIterator[tuple[H, H]]:
    """Replicas A and B of a service on one database and one NATS, as in a deployment.

    On SQLite only A runs the outbox relay (one relay per SQLite database; A publishes B's
    events too); on PostgreSQL both do, as replicas would.
    """
    async with service_running(
        spec, db_factory, nats_url, ready=ready, harness=harness, **overrides
    ) as a:
        b_relay = db_factory.backend == "postgresql"
        async with service_running(
            spec,
            db_factory,
            nats_url,
            database_url=a.database_url,
            ready=ready,
            harness=harness,
            **{**overrides, "run_relay": b_relay},
        ) as b:
            yield a, b
