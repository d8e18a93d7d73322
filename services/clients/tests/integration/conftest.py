"""A real clients service in-process: migrated database (SQLite or PostgreSQL), real NATS."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import grpc
import nats
import pytest_asyncio
from nats.js import JetStreamContext

from fieldline.clients.v1 import clients_service_pb2_grpc as cs_grpc
from fieldline.clients.v1 import territory_service_pb2_grpc as ts_grpc
from fieldline.clients.v1 import visits_service_pb2_grpc as vs_grpc
from fieldline_clients.bootstrap import App
from fieldline_clients.entrypoints.main import MIGRATIONS, build_process
from fieldline_clients.settings import ClientsSettings
from fieldline_kit.messaging import topology
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.service import ServiceProcess
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats


@dataclass
class Harness:
    process: ServiceProcess
    app: App
    channel: grpc.aio.Channel
    clients: cs_grpc.ClientsServiceStub
    territory: ts_grpc.TerritoryServiceStub
    visits: vs_grpc.VisitsServiceStub
    js: JetStreamContext
    database_url: str


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], *, within: float = 10.0, every: float = 0.05
) -> None:
    """Wait until `condition()` holds; fail the test after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(every)


async def start_harness(
    db_factory: DatabaseFactory,
    nats_url: str,
    *,
    database_url: str = "",
    **overrides: object,
) -> AsyncIterator[Harness]:
    """The service as `serve` runs it (`build_process`), on a new migrated database, or on
    `database_url` (another replica of a running harness: same database, same NATS)."""
    url = database_url
    if not url:
        url = await db_factory.create()
        await upgrade_async(url, MIGRATIONS)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await topology.apply(js)
    settings = ClientsSettings(
        database_url=url,
        nats_url=nats_url,
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
        outbox_poll_seconds=0.1,
        shutdown_grace_seconds=5.0,
        drain_delay_seconds=0.0,
        **overrides,  # type: ignore[arg-type]
    )
    process, app = await build_process(settings)
    task = asyncio.create_task(process.run(install_signal_handlers=False))
    await asyncio.wait_for(process.ready.wait(), 20)
    if app.plan_cache.enabled:  # the plan cache serves once its stream follower follows
        await eventually(lambda: app.plan_cache.live, within=20)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{process.grpc_port}")
    try:
        yield Harness(
            process,
            app,
            channel,
            cs_grpc.ClientsServiceStub(channel),
            ts_grpc.TerritoryServiceStub(channel),
            vs_grpc.VisitsServiceStub(channel),
            js,
            url,
        )
    finally:
        await channel.close()
        process.stop_requested.set()
        await asyncio.wait_for(task, 30)
        await nc.close()


harness = contextlib.asynccontextmanager(start_harness)


@pytest_asyncio.fixture(scope="module")
async def svc(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[Harness]:
    async for h in start_harness(db_factory, nats_server.url):
        yield h


@contextlib.asynccontextmanager
async def two_replicas(
    db_factory: DatabaseFactory, nats_url: str, **overrides: object
) -> AsyncIterator[tuple[Harness, Harness]]:
    """Replicas A and B of the service on one database and one NATS, as in a deployment.

    On SQLite only A runs the outbox relay (one relay per SQLite database; A publishes B's
    events too); on PostgreSQL both do, as replicas would.
    """
    async with harness(db_factory, nats_url, **overrides) as a:
        b_relay = db_factory.backend == "postgresql"
        async with harness(
            db_factory, nats_url, database_url=a.database_url, run_relay=b_relay, **overrides
        ) as b:
            yield a, b


def new_id() -> str:
    return str(uuid.uuid4())
