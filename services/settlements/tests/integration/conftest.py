"""A real settlements service in-process, as `serve` runs it (the kit's `start_service`): a
migrated database (SQLite or PostgreSQL), a real NATS.

Clients' events reach it as clients' outbox relay publishes them (`publish_clients`: an
EventEnvelope with its aggregate version on `clients.events.v1.<Name>` of stream CLIENTS,
`Nats-Msg-Id` its event id), read by its `settlements-clients-feed` consumer. Scope tests feed
it so; other tests that call as an employee put that employee's client on its route straight
through the read model's repository (`on_route`), as the feed would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from functools import cached_property

import pytest
import pytest_asyncio
from google.protobuf.message import Message
from sqlalchemy import select

from fieldline.clients.events.v1 import events_pb2 as cev
from fieldline.clients.v1 import resources_pb2 as cres
from fieldline.settlements.events.v1 import events_pb2  # noqa: F401 - the published types
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.testing.auth import service_caller
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.events import publish_event
from fieldline_kit.testing.helpers import eventually, new_id
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.service import RunningService, service_running
from fieldline_settlements.adapters import orm
from fieldline_settlements.bootstrap import App
from fieldline_settlements.domain.feed import EmployeeState, OutletState, RouteOutletState
from fieldline_settlements.entrypoints.clients_feed import CONSUMER as CLIENTS_FEED
from fieldline_settlements.entrypoints.main import SPEC


@dataclass
class Harness(RunningService[App]):
    """The running service, with stubs of its API: as the harness's administrator, and as
    the orders service (batches of checks are its alone); and the clients' events it reads."""

    @cached_property
    def settlements(self) -> ss_grpc.SettlementsServiceStub:
        return self.stub(ss_grpc.SettlementsServiceStub)

    @cached_property
    def orders(self) -> ss_grpc.SettlementsServiceStub:
        return self.stub(ss_grpc.SettlementsServiceStub, as_=ORDERS)

    # -- the clients feed, through the read model's repository ---------------------------
    async def on_route(self, agent_id: str, client_id: str) -> tuple[str, str]:
        """An outlet of `client_id` on a new route of `agent_id`, as the feed would put it;
        (route id, outlet id)."""
        route_id, outlet_id = new_id(), new_id()
        async with self.app.uow() as uow:
            await uow.feed.put_outlet(OutletState(outlet_id, client_id, 1))
            await uow.feed.put_route_outlet(
                RouteOutletState(route_id, outlet_id, agent_id, False, 1)
            )
            await uow.commit()
        return route_id, outlet_id

    async def in_team(self, supervisor_id: str, employee_id: str, *roles: str) -> None:
        """`employee_id` (an active AGENT unless `roles` say otherwise) in the team of
        `supervisor_id`, as the feed would put it."""
        async with self.app.uow() as uow:
            await uow.feed.put_employee(
                EmployeeState(
                    employee_id, True, frozenset(roles or {"AGENT"}), supervisor_id, "", 1
                )
            )
            await uow.commit()

    # -- the clients feed, as real events --------------------------------------------------
    async def publish_clients(
        self,
        message: Message,
        *,
        aggregate_type: str,
        aggregate_id: str,
        version: int,
        event_id: str = "",
    ) -> str:
        """Publish one clients event as clients' relay does; returns its event id."""
        return await publish_event(
            self.js,
            "CLIENTS",
            "clients.events.v1",
            message,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            version=version,
            event_id=event_id,
        )

    async def employee(
        self,
        employee_id: str,
        roles: Iterable[int],
        version: int,
        *,
        active: bool = True,
        supervisor_id: str = "",
    ) -> str:
        message = cev.EmployeeChanged(
            employee=cres.Employee(
                id=employee_id,
                full_name="Петров Пётр",
                roles=list(roles),
                supervisor_id=supervisor_id,
                active=active,
                version=version,
            )
        )
        return await self.publish_clients(
            message, aggregate_type="employee", aggregate_id=employee_id, version=version
        )

    async def outlet(self, outlet_id: str, client_id: str, version: int) -> str:
        outlet = cres.Outlet(
            id=outlet_id, client_id=client_id, status=cres.OUTLET_STATUS_ACTIVE, version=version
        )
        message: Message = (
            cev.OutletCreated(outlet=outlet)
            if version == 1
            else cev.OutletChanged(outlet=outlet, changed_fields=["client_id"])
        )
        return await self.publish_clients(
            message, aggregate_type="outlet", aggregate_id=outlet_id, version=version
        )

    async def assignment(
        self,
        route_id: str,
        outlet_id: str,
        agent_id: str,
        version: int,
        *,
        removed: bool = False,
        kind: cres.RouteKind.ValueType = cres.ROUTE_KIND_UNSPECIFIED,
    ) -> str:
        """`kind` PHONE: a teleseller's call list (clients carries the route's kind on the
        event; settlements' feed treats every route alike)."""
        message = cev.RouteAssignmentChanged(
            assignment=cres.RouteAssignment(
                route_id=route_id,
                outlet_id=outlet_id,
                frequency=cres.VISIT_FREQUENCY_WEEKLY,
                weekdays=[1],
                route_kind=kind,
            ),
            agent_id=agent_id,
            removed=removed,
        )
        return await self.publish_clients(
            message, aggregate_type="route", aggregate_id=route_id, version=version
        )

    async def wait_fed(self, *event_ids: str, timeout: float = 30.0) -> None:
        """Until the clients feed consumer has recorded every event in its inbox (or
        dead-lettered it)."""
        want = set(event_ids)
        await eventually(
            lambda: self._fed(want), within=timeout, what=f"clients events {want} processed"
        )

    async def _fed(self, want: set[str]) -> bool:
        done: set[str] = set()
        async with self.app.sessions() as s:
            for table in (orm.kit.inbox, orm.kit.dead_letter):
                done |= set(
                    await s.scalars(
                        select(table.c.event_id).where(
                            table.c.consumer == CLIENTS_FEED, table.c.event_id.in_(want)
                        )
                    )
                )
        return done >= want


ORDERS = service_caller("orders")


@pytest_asyncio.fixture(scope="module")
async def svc(
    db_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Harness]:
    """Settlements on a NATS of the module's own: on the session's, its consumers would apply
    the van sales other modules' orders services publish (its durable consumers are the same
    ones) while a test compares what a call wrote ("nothing written" snapshots)."""
    nats_server = EmbeddedNats(store_dir=tmp_path_factory.mktemp("settlements-nats"))
    await nats_server.start()
    try:
        async with service_running(SPEC, db_factory, nats_server.url, harness=Harness) as running:
            yield running
    finally:
        await nats_server.stop()
