"""A whole company loaded at once into an empty database: the use cases' aggregates, in bulk.

For seeding demo and benchmark companies (hundreds of thousands of outlets) that would take far
too long one request at a time. Each command builds the aggregate its use case would build,
through the same domain factories and rules, and checks its references against what this load
has created so far instead of reading the database (which holds only this load's rows). A
create whose id was loaded already changes nothing, as in the use cases. `BulkRows` writes the
aggregates in large chunks; their domain events are dropped (nothing is published).

Commands come in an order where each follows what it refers to, and a SetOutletStatus follows
its outlet's CreateOutlet directly (a written outlet is not changed again).

A load runs at a terminal, not over gRPC: there is no caller to take an actor from, so the card
history records the outlets' first versions as made by `BULK_ACTOR`.
"""

from __future__ import annotations

from datetime import datetime

from fieldline_clients.adapters.bulk import Aggregate, BulkRows
from fieldline_clients.domain.fieldwork import Questionnaire
from fieldline_clients.domain.model import (
    Client,
    ClientType,
    Employee,
    Outlet,
    OutletStatus,
    Route,
    Territory,
    require_distributor_client,
)
from fieldline_clients.domain.values import optional_id, require_id
from fieldline_clients.service_layer import commands as c
from fieldline_clients.service_layer.handlers import (
    assignment_of,
    require_routable,
    settable_status,
)
from fieldline_kit.errors import FailedPrecondition, NotFound

BULK_ACTOR = "bulk-load"


class BulkLoad:
    def __init__(self, rows: BulkRows, now: datetime, *, chunk_size: int = 5000) -> None:
        self.rows = rows
        self.now = now
        self.chunk_size = chunk_size
        self._territories: set[str] = set()
        self._questionnaires: set[str] = set()
        self._clients: dict[str, ClientType] = {}
        self._employees: dict[str, Employee] = {}
        self._outlets: dict[str, OutletStatus] = {}
        self._routes: dict[str, Route] = {}
        self._unwritten: dict[str, Outlet] = {}  # outlets not flushed yet

    async def _add(self, aggregate: Aggregate) -> None:
        # Flushed before adding, so the outlet just created is still unwritten when the
        # command after it (its SetOutletStatus) comes.
        if self.rows.buffered >= self.chunk_size:
            await self.rows.flush()
            self._unwritten.clear()
        events = getattr(aggregate, "events", None)
        if events:
            events.clear()
        self.rows.add(aggregate)

    def _territory(self, territory_id: str, field: str) -> str:
        tid = optional_id(field, territory_id)
        if tid and tid not in self._territories:
            raise NotFound("territory", tid, field)
        return tid

    async def create_territory(self, cmd: c.CreateTerritory) -> None:
        parent_id = self._territory(cmd.parent_id, "territory.parent_id")
        territory = Territory.create(cmd.id, cmd.name, parent_id)
        if territory.id not in self._territories:
            self._territories.add(territory.id)
            await self._add(territory)

    def _distributor(self, distributor_id: str, field: str) -> str:
        did = optional_id(field, distributor_id)
        return require_distributor_client(field, did, self._clients.get(did)) if did else ""

    async def create_questionnaire(self, cmd: c.CreateQuestionnaire) -> None:
        q = Questionnaire.create(
            cmd.id, cmd.name, cmd.questions, cmd.must_stock_skus, cmd.distributor_id
        )
        if q.id not in self._questionnaires:
            self._distributor(q.distributor_id, "questionnaire.distributor_id")
            self._questionnaires.add(q.id)
            await self._add(q)

    async def create_client(self, cmd: c.CreateClient) -> None:
        client = Client.create(
            cmd.id, cmd.name, cmd.inn, cmd.kpp, cmd.type, cmd.legal_address, self.now
        )
        if client.id not in self._clients:
            self._clients[client.id] = client.type
            await self._add(client)

    async def create_employee(self, cmd: c.CreateEmployee) -> None:
        eid = require_id("employee.id", cmd.id)
        if eid in self._employees:
            return
        supervisor_id = optional_id("employee.supervisor_id", cmd.supervisor_id)
        if supervisor_id and supervisor_id not in self._employees:
            raise NotFound("employee", supervisor_id, "employee.supervisor_id")
        distributor_id = self._distributor(cmd.distributor_id, "employee.distributor_id")
        employee = Employee.create(
            eid,
            cmd.full_name,
            cmd.roles,
            self._territory(cmd.territory_id, "employee.territory_id"),
            supervisor_id,
            distributor_id,
            cmd.phone,
        )
        self._employees[eid] = employee
        await self._add(employee)

    async def create_outlet(self, cmd: c.CreateOutlet) -> None:
        outlet_id = require_id("outlet.id", cmd.id)
        if outlet_id in self._outlets:
            return
        client_id = require_id("outlet.client_id", cmd.client_id)
        if client_id not in self._clients:
            raise NotFound("client", client_id, "outlet.client_id")
        tid = self._territory(cmd.territory_id, "outlet.territory_id")
        outlet = Outlet.create(outlet_id, client_id, cmd.card, tid, BULK_ACTOR, self.now)
        await self._add(outlet)
        self._outlets[outlet_id] = outlet.status
        self._unwritten[outlet_id] = outlet

    async def set_outlet_status(self, cmd: c.SetOutletStatus) -> None:
        status = settable_status(cmd.status)
        outlet_id = require_id("outlet_id", cmd.outlet_id)
        outlet = self._unwritten.get(outlet_id)
        if outlet is None:
            if outlet_id not in self._outlets:
                raise NotFound("outlet", outlet_id, "outlet_id")
            raise FailedPrecondition(
                f"outlet {outlet_id} is written already: in a bulk load its status is set "
                "right after it is created"
            )
        outlet.change_status(status, BULK_ACTOR, self.now, cmd.expected_version)
        outlet.events.clear()
        self._outlets[outlet_id] = outlet.status

    async def create_route(self, cmd: c.CreateRoute) -> None:
        rid, external_id = Route.identity(cmd.id, cmd.external_id)
        if rid in self._routes:
            return
        agent_id = require_id("route.agent_id", cmd.agent_id)
        agent = self._employees.get(agent_id)
        if agent is None:
            raise NotFound("employee", agent_id, "route.agent_id")
        tid = self._territory(cmd.territory_id, "route.territory_id")
        route = Route.create(rid, cmd.name, tid, agent, external_id, cmd.kind)
        self._routes[rid] = route
        await self._add(route)

    async def set_route_assignment(self, cmd: c.SetRouteAssignment) -> None:
        """A new assignment (each route and outlet pair once: the table's key refuses more)."""
        assignment = assignment_of(cmd)
        route = self._routes.get(assignment.route_id)
        if route is None:
            raise NotFound("route", assignment.route_id, "assignment.route_id")
        status = self._outlets.get(assignment.outlet_id)
        if status is None:
            raise NotFound("outlet", assignment.outlet_id, "assignment.outlet_id")
        require_routable(assignment.outlet_id, status)
        route.assignment_changed(assignment)
        route.events.clear()
        await self._add(assignment)

    async def finish(self, *, analyze: bool = True) -> None:
        await self.rows.finish(analyze=analyze)
        self._unwritten.clear()
