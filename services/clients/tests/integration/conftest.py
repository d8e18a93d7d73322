"""A real clients service in-process (the kit's `start_service`): a migrated database (SQLite
or PostgreSQL), a real NATS, and the three gRPC stubs the tests call it through."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest_asyncio
from nats.js import JetStreamContext

from fieldline.clients.v1 import clients_service_pb2_grpc as cs_grpc
from fieldline.clients.v1 import territory_service_pb2_grpc as ts_grpc
from fieldline.clients.v1 import visits_service_pb2_grpc as vs_grpc
from fieldline_clients.bootstrap import App
from fieldline_clients.entrypoints.main import SPEC
from fieldline_kit.service import ServiceProcess
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.service import RunningService, replicas, service_running


def ready(app: App) -> bool:
    """The plan cache serves once its stream follower is following (unless it is off)."""
    return app.plan_cache.live or not app.plan_cache.enabled


@dataclass
class Harness:
    """The running service and its stubs."""

    running: RunningService[App]

    def __post_init__(self) -> None:
        self.clients = self.running.stub(cs_grpc.ClientsServiceStub)
        self.territory = self.running.stub(ts_grpc.TerritoryServiceStub)
        self.visits = self.running.stub(vs_grpc.VisitsServiceStub)

    @property
    def app(self) -> App:
        return self.running.app

    @property
    def process(self) -> ServiceProcess:
        return self.running.process

    @property
    def channel(self) -> grpc.aio.Channel:
        return self.running.channel

    @property
    def js(self) -> JetStreamContext:
        return self.running.js

    @property
    def database_url(self) -> str:
        return self.running.database_url


@contextlib.asynccontextmanager
async def harness(
    db_factory: DatabaseFactory, nats_url: str, **overrides: object
) -> AsyncIterator[Harness]:
    """The service as `serve` runs it, on a new migrated database (`overrides`: settings)."""
    async with service_running(SPEC, db_factory, nats_url, ready=ready, **overrides) as running:
        yield Harness(running)


@contextlib.asynccontextmanager
async def two_replicas(
    db_factory: DatabaseFactory, nats_url: str, **overrides: object
) -> AsyncIterator[tuple[Harness, Harness]]:
    """Replicas A and B on one database and one NATS (the kit's `replicas`)."""
    async with replicas(SPEC, db_factory, nats_url, ready=ready, **overrides) as (a, b):
        yield Harness(a), Harness(b)


@pytest_asyncio.fixture(scope="module")
async def svc(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[Harness]:
    async with harness(db_factory, nats_server.url) as h:
        yield h
