"""A real clients service in-process (the kit's `start_service`): a migrated database (SQLite
or PostgreSQL), a real NATS, and the three gRPC stubs the tests call it through.

Auth is on, as `serve` runs with CLIENTS_AUTH_JWKS: the stubs call as the kit's test
administrator (ADMIN, company-wide); `h.calling(caller)` gives stubs calling as another
principal (`caller_of(employee)` in builders: an employee with its roles).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cached_property

import pytest_asyncio

from fieldline.clients.v1 import clients_service_pb2_grpc as cs_grpc
from fieldline.clients.v1 import territory_service_pb2_grpc as ts_grpc
from fieldline.clients.v1 import visits_service_pb2_grpc as vs_grpc
from fieldline_clients.bootstrap import App
from fieldline_clients.entrypoints.main import SPEC
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.service import RunningService, replicas, service_running


def ready(app: App) -> bool:
    """The plan cache serves once its stream follower is following (unless it is off)."""
    return app.plan_cache.live or not app.plan_cache.enabled


@dataclass(frozen=True)
class Stubs:
    clients: cs_grpc.ClientsServiceStub
    territory: ts_grpc.TerritoryServiceStub
    visits: vs_grpc.VisitsServiceStub


@dataclass
class Harness(RunningService[App]):
    """The running service, with stubs of its three APIs (calling as ADMIN)."""

    def calling(self, caller: Caller) -> Stubs:
        """Stubs of the three APIs calling as `caller`."""
        return Stubs(
            self.stub(cs_grpc.ClientsServiceStub, as_=caller),
            self.stub(ts_grpc.TerritoryServiceStub, as_=caller),
            self.stub(vs_grpc.VisitsServiceStub, as_=caller),
        )

    @cached_property
    def clients(self) -> cs_grpc.ClientsServiceStub:
        return self.stub(cs_grpc.ClientsServiceStub)

    @cached_property
    def territory(self) -> ts_grpc.TerritoryServiceStub:
        return self.stub(ts_grpc.TerritoryServiceStub)

    @cached_property
    def visits(self) -> vs_grpc.VisitsServiceStub:
        return self.stub(vs_grpc.VisitsServiceStub)


@contextlib.asynccontextmanager
async def harness(
    db_factory: DatabaseFactory, nats_url: str, **overrides: object
) -> AsyncIterator[Harness]:
    """The service as `serve` runs it, on a new migrated database (`overrides`: settings)."""
    async with service_running(
        SPEC, db_factory, nats_url, ready=ready, harness=Harness, **overrides
    ) as running:
        yield running


@contextlib.asynccontextmanager
async def two_replicas(
    db_factory: DatabaseFactory, nats_url: str, **overrides: object
) -> AsyncIterator[tuple[Harness, Harness]]:
    """Replicas A and B on one database and one NATS (the kit's `replicas`)."""
    async with replicas(SPEC, db_factory, nats_url, ready=ready, harness=Harness, **overrides) as (
        a,
        b,
    ):
        yield a, b


@pytest_asyncio.fixture(scope="module")
async def svc(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[Harness]:
    async with harness(db_factory, nats_server.url) as h:
        yield h
