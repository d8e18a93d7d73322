"""TerritoryService: employees, territories, routes and their assignments, the visit plan and
a teleseller's call plan.

GetVisitPlan answers with pre-serialized bytes of its response (the kit interceptor sends them
as they are): from the visit plan cache, or read and then offered to the cache. Who calls is
the verified principal; its data scope (`service_layer.access`) decides what it sees and
changes — an agent's own plan is checked without the database, so a cached plan stays a
dictionary lookup.
"""

from __future__ import annotations

import grpc

from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import territory_service_pb2_grpc as ts_grpc
from fieldline_clients.adapters import proto_mapping as m
from fieldline_clients.adapters import queries
from fieldline_clients.adapters.repository import ClientsUnitOfWork
from fieldline_clients.domain.calls import call_plan
from fieldline_clients.domain.values import MAX_RECORDS, limit_items, optional_id, require_id
from fieldline_clients.entrypoints.clients_api import UPSERT_OUTCOMES
from fieldline_clients.entrypoints.servicer import CallerServicer
from fieldline_clients.service_layer import access as scope
from fieldline_clients.service_layer import commands, handlers
from fieldline_clients.service_layer.access import access_outside
from fieldline_kit.auth import current_principal
from fieldline_kit.errors import InvalidArgument, NotFound
from fieldline_kit.grpc.convert import from_pb_date, page_size


# ------------------------------------ proto → command, where the bulk load maps it the same
def create_employee_command(request: ts.CreateEmployeeRequest) -> commands.CreateEmployee:
    e = request.employee
    return commands.CreateEmployee(
        id=e.id,
        full_name=e.full_name,
        roles=m.roles_from(e.roles),
        territory_id=e.territory_id,
        supervisor_id=e.supervisor_id,
        distributor_id=e.distributor_id,
        phone=e.phone,
    )


def upsert_employees_command(request: ts.UpsertEmployeesRequest) -> commands.UpsertEmployees:
    items = limit_items("employees", request.employees, MAX_RECORDS)
    return commands.UpsertEmployees(
        employees=tuple(
            commands.EmployeeUpsert(
                external_id=e.external_id,
                full_name=e.full_name,
                roles=m.roles_from(e.roles, f"employees[{i}].roles"),
                active=e.active,
                phone=e.phone,
                supervisor_external_id=e.supervisor_external_id,
                territory_id=e.territory_id,
            )
            for i, e in enumerate(items)
        )
    )


def create_territory_command(request: ts.CreateTerritoryRequest) -> commands.CreateTerritory:
    t = request.territory
    return commands.CreateTerritory(id=t.id, name=t.name, parent_id=t.parent_id)


def create_route_command(request: ts.CreateRouteRequest) -> commands.CreateRoute:
    r = request.route
    return commands.CreateRoute(
        id=r.id,
        name=r.name,
        territory_id=r.territory_id,
        agent_id=r.agent_id,
        external_id=r.external_id,
        kind=m.from_enum(m.ROUTE_KINDS, r.kind, "route.kind"),
    )


def schedule_route_agents_command(
    request: ts.ScheduleRouteAgentsRequest,
) -> commands.ScheduleRouteAgents:
    """A date that is not a calendar date (malformed on the wire) is refused alone, before the
    periods are judged; a missing `valid_from` is judged with them."""
    items = limit_items("periods", request.periods, MAX_RECORDS)
    return commands.ScheduleRouteAgents(
        periods=tuple(
            commands.RouteAgentPeriodInput(
                route_id=p.route_id,
                route_external_id=p.route_external_id,
                employee_id=p.employee_id,
                employee_external_id=p.employee_external_id,
                valid_from=from_pb_date(f"periods[{i}].valid_from", p.valid_from, required=False),
                valid_to=from_pb_date(f"periods[{i}].valid_to", p.valid_to, required=False),
            )
            for i, p in enumerate(items)
        )
    )


def set_route_assignment_command(
    request: ts.SetRouteAssignmentRequest,
) -> commands.SetRouteAssignment:
    a = request.assignment
    return commands.SetRouteAssignment(
        route_id=a.route_id,
        outlet_id=a.outlet_id,
        frequency=m.from_enum(m.FREQUENCIES, a.frequency, "assignment.frequency"),
        weekdays=list(a.weekdays),
        start_date=from_pb_date("assignment.start_date", a.start_date),
        sequence=a.sequence,
    )


# -------------------------------------------------------------------------------- servicer
class TerritoryServicer(CallerServicer, ts_grpc.TerritoryServiceServicer):
    # -- employees -----------------------------------------------------------------------
    async def CreateEmployee(
        self, request: ts.CreateEmployeeRequest, context: grpc.aio.ServicerContext
    ) -> ts.CreateEmployeeResponse:
        async def work(uow: ClientsUnitOfWork) -> ts.CreateEmployeeResponse:
            employee = await handlers.create_employee(uow, create_employee_command(request))
            return ts.CreateEmployeeResponse(employee=m.employee_pb(employee))

        return await self.write("CreateEmployee", request, ts.CreateEmployeeResponse, work)

    async def GetEmployee(
        self, request: ts.GetEmployeeRequest, context: grpc.aio.ServicerContext
    ) -> ts.GetEmployeeResponse:
        async with self.read() as uow:
            access = await self.caller(uow)
            employee = await scope.employee(uow, access, request.employee_id)
        return ts.GetEmployeeResponse(employee=m.employee_pb(employee))

    async def UpdateEmployee(
        self, request: ts.UpdateEmployeeRequest, context: grpc.aio.ServicerContext
    ) -> ts.UpdateEmployeeResponse:
        async def work(uow: ClientsUnitOfWork) -> ts.UpdateEmployeeResponse:
            e = request.employee
            cmd = commands.UpdateEmployee(
                id=e.id,
                full_name=e.full_name,
                roles=m.roles_from(e.roles),
                territory_id=e.territory_id,
                supervisor_id=e.supervisor_id,
                distributor_id=e.distributor_id,
                active=e.active,
                expected_version=e.version,
                phone=e.phone,
            )
            employee = await handlers.update_employee(uow, cmd)
            return ts.UpdateEmployeeResponse(employee=m.employee_pb(employee))

        return await self.write("UpdateEmployee", request, ts.UpdateEmployeeResponse, work)

    async def UpsertEmployees(
        self, request: ts.UpsertEmployeesRequest, context: grpc.aio.ServicerContext
    ) -> ts.UpsertEmployeesResponse:
        async def work(uow: ClientsUnitOfWork) -> ts.UpsertEmployeesResponse:
            results = await handlers.upsert_employees(uow, upsert_employees_command(request))
            return ts.UpsertEmployeesResponse(
                results=[
                    ts.EmployeeUpsertResult(
                        external_id=r.employee.external_id,
                        employee_id=r.employee.id,
                        outcome=UPSERT_OUTCOMES[r.outcome],
                    )
                    for r in results
                ]
            )

        return await self.write("UpsertEmployees", request, ts.UpsertEmployeesResponse, work)

    async def ListEmployees(
        self, request: ts.ListEmployeesRequest, context: grpc.aio.ServicerContext
    ) -> ts.ListEmployeesResponse:
        role = m.from_enum(m.ROLES, request.role, "role")
        async with self.read() as uow:
            access = await self.caller(uow)
            items, token = await queries.list_employees(
                uow.session,
                team=access.team,
                size=page_size(request.page_size),
                token=request.page_token,
                role=role,
                territory_id=optional_id("territory_id", request.territory_id),
            )
        return ts.ListEmployeesResponse(
            employees=[m.employee_pb(e) for e in items], next_page_token=token
        )

    # -- territories ---------------------------------------------------------------------
    async def CreateTerritory(
        self, request: ts.CreateTerritoryRequest, context: grpc.aio.ServicerContext
    ) -> ts.CreateTerritoryResponse:
        async def work(uow: ClientsUnitOfWork) -> ts.CreateTerritoryResponse:
            territory = await handlers.create_territory(uow, create_territory_command(request))
            return ts.CreateTerritoryResponse(territory=m.territory_pb(territory))

        return await self.write("CreateTerritory", request, ts.CreateTerritoryResponse, work)

    async def ListTerritories(
        self, request: ts.ListTerritoriesRequest, context: grpc.aio.ServicerContext
    ) -> ts.ListTerritoriesResponse:
        async with self.read() as uow:
            items, token = await queries.list_territories(
                uow.session,
                size=page_size(request.page_size),
                token=request.page_token,
                parent_id=optional_id("parent_id", request.parent_id),
            )
        return ts.ListTerritoriesResponse(
            territories=[m.territory_pb(t) for t in items], next_page_token=token
        )

    # -- routes --------------------------------------------------------------------------
    async def CreateRoute(
        self, request: ts.CreateRouteRequest, context: grpc.aio.ServicerContext
    ) -> ts.CreateRouteResponse:
        async def work(uow: ClientsUnitOfWork) -> ts.CreateRouteResponse:
            access = await self.caller(uow)
            route = await handlers.create_route(uow, create_route_command(request), access)
            return ts.CreateRouteResponse(route=m.route_pb(route))

        return await self.write("CreateRoute", request, ts.CreateRouteResponse, work)

    async def GetRoute(
        self, request: ts.GetRouteRequest, context: grpc.aio.ServicerContext
    ) -> ts.GetRouteResponse:
        async with self.read() as uow:
            access = await self.caller(uow)
            route = await scope.route(uow, access, request.route_id, write=False)
        return ts.GetRouteResponse(route=m.route_pb(route))

    async def ListRoutes(
        self, request: ts.ListRoutesRequest, context: grpc.aio.ServicerContext
    ) -> ts.ListRoutesResponse:
        async with self.read() as uow:
            access = await self.caller(uow)
            items, token = await queries.list_routes(
                uow.session,
                team=access.team,
                size=page_size(request.page_size),
                token=request.page_token,
                agent_id=optional_id("agent_id", request.agent_id),
                territory_id=optional_id("territory_id", request.territory_id),
            )
        return ts.ListRoutesResponse(routes=[m.route_pb(r) for r in items], next_page_token=token)

    async def SetRouteAssignment(
        self, request: ts.SetRouteAssignmentRequest, context: grpc.aio.ServicerContext
    ) -> ts.SetRouteAssignmentResponse:
        async def work(uow: ClientsUnitOfWork) -> ts.SetRouteAssignmentResponse:
            access = await self.caller(uow)
            cmd = set_route_assignment_command(request)
            assignment, route = await handlers.set_route_assignment(uow, cmd, access)
            return ts.SetRouteAssignmentResponse(
                assignment=m.assignment_pb(assignment, route.version, route.kind)
            )

        return await self.write("SetRouteAssignment", request, ts.SetRouteAssignmentResponse, work)

    async def RemoveRouteAssignment(
        self, request: ts.RemoveRouteAssignmentRequest, context: grpc.aio.ServicerContext
    ) -> ts.RemoveRouteAssignmentResponse:
        async def work(uow: ClientsUnitOfWork) -> ts.RemoveRouteAssignmentResponse:
            access = await self.caller(uow)
            cmd = commands.RemoveRouteAssignment(request.route_id, request.outlet_id)
            await handlers.remove_route_assignment(uow, cmd, access)
            return ts.RemoveRouteAssignmentResponse()

        return await self.write(
            "RemoveRouteAssignment", request, ts.RemoveRouteAssignmentResponse, work
        )

    async def ListRouteAssignments(
        self, request: ts.ListRouteAssignmentsRequest, context: grpc.aio.ServicerContext
    ) -> ts.ListRouteAssignmentsResponse:
        route_id = optional_id("route_id", request.route_id)
        outlet_id = optional_id("outlet_id", request.outlet_id)
        if not route_id and not outlet_id:
            raise InvalidArgument("route_id", "give a route_id or an outlet_id")
        async with self.read() as uow:
            access = await self.caller(uow)
            items, token = await queries.list_assignments(
                uow.session,
                team=access.team,
                size=page_size(request.page_size),
                token=request.page_token,
                route_id=route_id,
                outlet_id=outlet_id,
            )
        return ts.ListRouteAssignmentsResponse(
            assignments=[
                m.assignment_pb(x.assignment, x.route_version, x.route_kind) for x in items
            ],
            next_page_token=token,
        )

    async def ScheduleRouteAgents(
        self, request: ts.ScheduleRouteAgentsRequest, context: grpc.aio.ServicerContext
    ) -> ts.ScheduleRouteAgentsResponse:
        async def work(uow: ClientsUnitOfWork) -> ts.ScheduleRouteAgentsResponse:
            cmd = schedule_route_agents_command(request)
            done = await handlers.schedule_route_agents(uow, self.app.today(), cmd)
            return ts.ScheduleRouteAgentsResponse(
                periods=[m.period_pb(p) for p, _ in done.periods],
                outcomes=[UPSERT_OUTCOMES[o] for _, o in done.periods],
                routes=[m.route_pb(r) for r in done.routes],
            )

        return await self.write(
            "ScheduleRouteAgents", request, ts.ScheduleRouteAgentsResponse, work
        )

    async def ListRouteAgentPeriods(
        self, request: ts.ListRouteAgentPeriodsRequest, context: grpc.aio.ServicerContext
    ) -> ts.ListRouteAgentPeriodsResponse:
        async with self.read() as uow:
            access = await self.caller(uow)
            route = await scope.route(uow, access, request.route_id, write=False)
            items, token = await queries.list_route_agent_periods(
                uow.session,
                route_id=route.id,
                size=page_size(request.page_size),
                token=request.page_token,
            )
        return ts.ListRouteAgentPeriodsResponse(
            periods=[m.period_pb(p) for p in items], next_page_token=token
        )

    # -- the visit plan ------------------------------------------------------------------
    async def GetVisitPlan(
        self, request: ts.GetVisitPlanRequest, context: grpc.aio.ServicerContext
    ) -> bytes:
        """The serialized plan: from the plan cache, or read and then offered to the cache."""
        access = await access_outside(current_principal(), self.read)
        agent_id = require_id("agent_id", request.agent_id or access.subject)
        day = from_pb_date("date", request.date)
        assert day is not None
        if not access.sees(agent_id):
            raise access.refused("employee", agent_id, "agent_id", write=False)
        cache = self.app.plan_cache
        cached = cache.get(agent_id, day)
        if cached is not None:
            return cached
        ticket = cache.ticket()  # before the read: a write committed meanwhile voids the put
        async with self.read() as uow:
            plan = await queries.visit_plan(uow.session, agent_id, day)
            # routes.agent_id references employees, so only an empty plan can mean "no agent".
            if not plan.response.visits and await uow.employees.find(agent_id) is None:
                raise NotFound("employee", agent_id, "agent_id")
        body = plan.response.SerializeToString()
        cache.put(ticket, agent_id, day, body, plan.outlet_ids)
        return body

    # -- the call plan -------------------------------------------------------------------
    async def GetCallPlan(
        self, request: ts.GetCallPlanRequest, context: grpc.aio.ServicerContext
    ) -> ts.GetCallPlanResponse:
        day = from_pb_date("date", request.date)
        assert day is not None
        async with self.read() as uow:
            access = await self.caller(uow)
            teleseller_id = require_id("teleseller_id", request.teleseller_id or access.subject)
            if not access.sees(teleseller_id):
                raise access.refused("employee", teleseller_id, "teleseller_id", write=False)
            if await uow.employees.find(teleseller_id) is None:
                raise NotFound("employee", teleseller_id, "teleseller_id")
            reads = await queries.call_plan_reads(uow.session, teleseller_id, day, self.app.zone)
            plan = call_plan(day, self.app.zone, reads.outlets, reads.earlier, reads.of_the_day)
            outlets = await queries.outlet_pbs(uow.session, [p.outlet_id for p in plan.planned])
        return m.call_plan_pb(teleseller_id, plan, outlets)
