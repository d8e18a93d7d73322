"""A real settlements service in-process, as `serve` runs it (the kit's `start_service`): a
migrated database (SQLite or PostgreSQL), a real NATS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cached_property

import pytest_asyncio

from fieldline.settlements.events.v1 import events_pb2  # noqa: F401 - the published types
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.testing.auth import service_caller
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.service import RunningService, service_running
from fieldline_settlements.bootstrap import App
from fieldline_settlements.entrypoints.main import SPEC


@dataclass
class Harness(RunningService[App]):
    """The running service, with stubs of its API: as the harness's administrator, and as
    the orders service (batches of checks are its alone)."""

    @cached_property
    def settlements(self) -> ss_grpc.SettlementsServiceStub:
        return self.stub(ss_grpc.SettlementsServiceStub)

    @cached_property
    def orders(self) -> ss_grpc.SettlementsServiceStub:
        return self.stub(ss_grpc.SettlementsServiceStub, as_=ORDERS)


ORDERS = service_caller("orders")


@pytest_asyncio.fixture(scope="module")
async def svc(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[Harness]:
    async with service_running(SPEC, db_factory, nats_server.url, harness=Harness) as running:
        yield running
