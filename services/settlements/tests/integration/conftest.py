"""A real settlements service in-process: migrated database (SQLite or PostgreSQL), real NATS."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import nats
import pytest_asyncio
from nats.js import JetStreamContext

from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.messaging import topology
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.service import ServiceProcess
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_settlements.bootstrap import App
from fieldline_settlements.entrypoints.main import MIGRATIONS, build_process
from fieldline_settlements.settings import SettlementsSettings


@dataclass
class Harness:
    process: ServiceProcess
    app: App
    channel: grpc.aio.Channel
    settlements: ss_grpc.SettlementsServiceStub
    js: JetStreamContext
    database_url: str


async def start_harness(
    db_factory: DatabaseFactory, nats_url: str, **overrides: object
) -> AsyncIterator[Harness]:
    url = await db_factory.create()
    await upgrade_async(url, MIGRATIONS)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await topology.apply(js)
    settings = SettlementsSettings(
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
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{process.grpc_port}")
    try:
        yield Harness(process, app, channel, ss_grpc.SettlementsServiceStub(channel), js, url)
    finally:
        await channel.close()
        process.stop_requested.set()
        await asyncio.wait_for(task, 30)
        await nc.close()


@pytest_asyncio.fixture(scope="module")
async def svc(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[Harness]:
    async for harness in start_harness(db_factory, nats_server.url):
        yield harness


def new_id() -> str:
    return str(uuid.uuid4())
