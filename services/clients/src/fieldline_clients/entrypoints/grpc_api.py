"""gRPC servicers: translate protos into handler calls and domain results back into protos.

Mutating RPCs run through `run_idempotent` (request_id), reads through a read-only session.
A few reads answer with pre-serialized bytes of their response type (the kit interceptor sends
them as they are): the visit plan from its cache, outlets from their stored `outlet_pb`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import clients_service_pb2_grpc as cs_grpc
from fieldline.clients.v1 import territory_service_pb2 as ts_
from fieldline.clients.v1 import territory_service_pb2_grpc as ts_grpc
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline.clients.v1 import visits_service_pb2_grpc as vs_grpc
from fieldline_clients.adapters import orm, queries
from fieldline_clients.adapters import proto_mapping as m
from fieldline_clients.adapters.repository import (
    ClientsUnitOfWork,
    audit_from,
    client_from,
    employee_from,
    outlet_from,
    proposal_from,
    questionnaire_from,
    route_from,
    visit_from,
)
from fieldline_clients.bootstrap import App
from fieldline_clients.domain.values import optional_id, require_id
from fieldline_clients.service_layer import handlers
from fieldline_kit.errors import InvalidArgument, NotFound
from fieldline_kit.grpc.convert import from_pb_date, from_ts, page_size
from fieldline_kit.idempotency import run_idempotent

R = TypeVar("R", bound=Message)


def _mask(request: Any) -> list[str]:
    return list(request.update_mask.paths) if request.HasField("update_mask") else []


class _Base:
    def __init__(self, app: App) -> None:
        self.app = app

    async def _write(
        self,
        method: str,
        request: Message,
        response_type: type[R],
        work: Callable[[ClientsUnitOfWork], Awaitable[R]],
    ) -> R:
        return await run_idempotent(self.app.uow, method, request, response_type, work)

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncSession]:
        async with self.app.read_sessions() as session, session.begin():
            yield session

    async def _get(
        self, table: Any, entity: str, field: str, raw_id: str, convert: Callable[[Any], Any]
    ) -> Any:
        entity_id = require_id(field, raw_id)
        async with self._read() as session:
            found = await queries.get_by_id(session, table, entity_id, convert)
        if found is None:
            raise NotFound(entity, entity_id, field)
        return found


class ClientsServicer(_Base, cs_grpc.ClientsServiceServicer):
    async def CreateClient(
        self, request: cs.CreateClientRequest, context: grpc.aio.ServicerContext
    ) -> cs.CreateClientResponse:
        c = request.client

        async def work(uow: ClientsUnitOfWork) -> cs.CreateClientResponse:
            client = await handlers.create_client(
                uow,
                self.app.clock(),
                id=c.id,
                name=c.name,
                inn=c.inn,
                kpp=c.kpp,
                type_=m.from_enum(m.CLIENT_TYPES, c.type, "client.type"),
                legal_address=c.legal_address,
            )
            return cs.CreateClientResponse(client=m.client_pb(client))

        return await self._write("CreateClient", request, cs.CreateClientResponse, work)

    async def GetClient(
        self, request: cs.GetClientRequest, context: grpc.aio.ServicerContext
    ) -> cs.GetClientResponse:
        client = await self._get(orm.clients, "client", "client_id", request.client_id, client_from)
        return cs.GetClientResponse(client=m.client_pb(client))

    async def UpdateClient(
        self, request: cs.UpdateClientRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpdateClientResponse:
        c = request.client

        async def work(uow: ClientsUnitOfWork) -> cs.UpdateClientResponse:
            changes = {
                "name": c.name,
                "inn": c.inn,
                "kpp": c.kpp,
                "type": m.from_enum(m.CLIENT_TYPES, c.type, "client.type"),
                "legal_address": c.legal_address,
            }
            client = await handlers.update_client(
                uow, self.app.clock(), c.id, changes, _mask(request), request.expected_version
            )
            return cs.UpdateClientResponse(client=m.client_pb(client))

        return await self._write("UpdateClient", request, cs.UpdateClientResponse, work)

    async def ListClients(
        self, request: cs.ListClientsRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListClientsResponse:
        type_ = m.from_enum(m.CLIENT_TYPES, request.type, "type")
        async with self._read() as session:
            items, token = await queries.list_clients(
                session,
                size=page_size(request.page_size),
                token=request.page_token,
                name_query=request.name_query,
                inn=request.inn,
                type_=type_.value if type_ else None,
            )
        return cs.ListClientsResponse(
            clients=[m.client_pb(c) for c in items], next_page_token=token
        )

    async def CreateOutlet(
        self, request: cs.CreateOutletRequest, context: grpc.aio.ServicerContext
    ) -> cs.CreateOutletResponse:
        o = request.outlet

        async def work(uow: ClientsUnitOfWork) -> cs.CreateOutletResponse:
            outlet = await handlers.create_outlet(
                uow,
                self.app.clock(),
                id=o.id,
                client_id=o.client_id,
                card=m.card_from_pb(o.card, "outlet.card"),
                territory_id=o.territory_id,
                actor=request.actor_id,
            )
            return cs.CreateOutletResponse(outlet=m.outlet_pb(outlet))

        return await self._write("CreateOutlet", request, cs.CreateOutletResponse, work)

    async def GetOutlet(
        self, request: cs.GetOutletRequest, context: grpc.aio.ServicerContext
    ) -> cs.GetOutletResponse:
        outlet = await self._get(orm.outlets, "outlet", "outlet_id", request.outlet_id, outlet_from)
        return cs.GetOutletResponse(outlet=m.outlet_pb(outlet))

    async def UpdateOutletCard(
        self, request: cs.UpdateOutletCardRequest, context: grpc.aio.ServicerContext
    ) -> cs.UpdateOutletCardResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.UpdateOutletCardResponse:
            outlet = await handlers.update_outlet_card(
                uow,
                self.app.clock(),
                outlet_id=request.outlet_id,
                card=m.card_from_pb(request.card),
                mask=_mask(request),
                expected_version=request.expected_version,
                actor=request.actor_id,
            )
            return cs.UpdateOutletCardResponse(outlet=m.outlet_pb(outlet))

        return await self._write("UpdateOutletCard", request, cs.UpdateOutletCardResponse, work)

    async def SetOutletStatus(
        self, request: cs.SetOutletStatusRequest, context: grpc.aio.ServicerContext
    ) -> cs.SetOutletStatusResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.SetOutletStatusResponse:
            outlet = await handlers.set_outlet_status(
                uow,
                self.app.clock(),
                outlet_id=request.outlet_id,
                status=m.from_enum(m.OUTLET_STATUSES, request.status, "status"),
                expected_version=request.expected_version,
                actor=request.actor_id,
            )
            return cs.SetOutletStatusResponse(outlet=m.outlet_pb(outlet))

        return await self._write("SetOutletStatus", request, cs.SetOutletStatusResponse, work)

    async def ListOutlets(
        self, request: cs.ListOutletsRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListOutletsResponse:
        status = m.from_enum(m.OUTLET_STATUSES, request.status, "status")
        async with self._read() as session:
            items, token = await queries.list_outlets(
                session,
                size=page_size(request.page_size),
                token=request.page_token,
                client_id=optional_id("client_id", request.client_id),
                territory_id=optional_id("territory_id", request.territory_id),
                status=status.value if status else None,
            )
        return cs.ListOutletsResponse(
            outlets=[m.outlet_pb(o) for o in items], next_page_token=token
        )

    async def SearchOutlets(
        self, request: cs.SearchOutletsRequest, context: grpc.aio.ServicerContext
    ) -> cs.SearchOutletsResponse:
        near = m.location_from("near", request.near, request.HasField("near"))
        if near is not None and request.radius_m <= 0:
            raise InvalidArgument("radius_m", "must be positive when `near` is given")
        if near is None and request.radius_m:
            raise InvalidArgument("near", "is required when radius_m is given")
        async with self._read() as session:
            matches, token = await queries.search_outlets(
                session,
                size=page_size(request.page_size),
                token=request.page_token,
                name_query=request.name_query.strip(),
                inn=request.inn.strip(),
                near=near,
                radius_m=request.radius_m,
            )
        response = cs.SearchOutletsResponse(next_page_token=token)
        for x in matches:
            response.matches.add(distance_m=x.distance_m or 0.0).outlet.MergeFromString(x.outlet_pb)
        return response

    async def ListOutletCardHistory(
        self, request: cs.ListOutletCardHistoryRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListOutletCardHistoryResponse:
        outlet = await self._get(orm.outlets, "outlet", "outlet_id", request.outlet_id, outlet_from)
        async with self._read() as session:
            items, token = await queries.card_history(
                session,
                outlet_id=outlet.id,
                size=page_size(request.page_size),
                token=request.page_token,
            )
        return cs.ListOutletCardHistoryResponse(
            changes=[m.history_pb(h) for h in items], next_page_token=token
        )

    async def ProposeOutlet(
        self, request: cs.ProposeOutletRequest, context: grpc.aio.ServicerContext
    ) -> cs.ProposeOutletResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.ProposeOutletResponse:
            proposal = await handlers.propose_outlet(
                uow,
                self.app.clock(),
                proposal_id=request.proposal_id,
                outlet_id=request.outlet_id,
                client_id=request.client_id,
                card=m.card_from_pb(request.card),
                actor=request.actor_id,
            )
            return cs.ProposeOutletResponse(proposal=m.proposal_pb(proposal))

        return await self._write("ProposeOutlet", request, cs.ProposeOutletResponse, work)

    async def ProposeCardChange(
        self, request: cs.ProposeCardChangeRequest, context: grpc.aio.ServicerContext
    ) -> cs.ProposeCardChangeResponse:
        async def work(uow: ClientsUnitOfWork) -> cs.ProposeCardChangeResponse:
            proposal = await handlers.propose_card_change(
                uow,
                self.app.clock(),
                proposal_id=request.proposal_id,
                outlet_id=request.outlet_id,
                card=m.card_from_pb(request.card),
                mask=_mask(request),
                actor=request.actor_id,
            )
            return cs.ProposeCardChangeResponse(proposal=m.proposal_pb(proposal))

        return await self._write("ProposeCardChange", request, cs.ProposeCardChangeResponse, work)

    async def DecideProposal(
        self, request: cs.DecideProposalRequest, context: grpc.aio.ServicerContext
    ) -> cs.DecideProposalResponse:
        approve = {cs.DECISION_APPROVE: True, cs.DECISION_REJECT: False}.get(request.decision)

        async def work(uow: ClientsUnitOfWork) -> cs.DecideProposalResponse:
            proposal = await handlers.decide_proposal(
                uow,
                self.app.clock(),
                proposal_id=request.proposal_id,
                approve=approve,
                reason=request.reason,
                actor=request.actor_id,
            )
            return cs.DecideProposalResponse(proposal=m.proposal_pb(proposal))

        return await self._write("DecideProposal", request, cs.DecideProposalResponse, work)

    async def GetProposal(
        self, request: cs.GetProposalRequest, context: grpc.aio.ServicerContext
    ) -> cs.GetProposalResponse:
        p = await self._get(
            orm.proposals, "proposal", "proposal_id", request.proposal_id, proposal_from
        )
        return cs.GetProposalResponse(proposal=m.proposal_pb(p))

    async def ListProposals(
        self, request: cs.ListProposalsRequest, context: grpc.aio.ServicerContext
    ) -> cs.ListProposalsResponse:
        status = m.from_enum(m.PROPOSAL_STATUSES, request.status, "status")
        async with self._read() as session:
            items, token = await queries.list_proposals(
                session,
                size=page_size(request.page_size),
                token=request.page_token,
                status=status.value if status else None,
            )
        return cs.ListProposalsResponse(
            proposals=[m.proposal_pb(p) for p in items], next_page_token=token
        )


class TerritoryServicer(_Base, ts_grpc.TerritoryServiceServicer):
    async def CreateEmployee(
        self, request: ts_.CreateEmployeeRequest, context: grpc.aio.ServicerContext
    ) -> ts_.CreateEmployeeResponse:
        e = request.employee

        async def work(uow: ClientsUnitOfWork) -> ts_.CreateEmployeeResponse:
            employee = await handlers.create_employee(
                uow,
                id=e.id,
                full_name=e.full_name,
                roles=m.roles_from(e.roles),
                territory_id=e.territory_id,
                supervisor_id=e.supervisor_id,
                distributor_id=e.distributor_id,
            )
            return ts_.CreateEmployeeResponse(employee=m.employee_pb(employee))

        return await self._write("CreateEmployee", request, ts_.CreateEmployeeResponse, work)

    async def GetEmployee(
        self, request: ts_.GetEmployeeRequest, context: grpc.aio.ServicerContext
    ) -> ts_.GetEmployeeResponse:
        e = await self._get(
            orm.employees, "employee", "employee_id", request.employee_id, employee_from
        )
        return ts_.GetEmployeeResponse(employee=m.employee_pb(e))

    async def UpdateEmployee(
        self, request: ts_.UpdateEmployeeRequest, context: grpc.aio.ServicerContext
    ) -> ts_.UpdateEmployeeResponse:
        e = request.employee

        async def work(uow: ClientsUnitOfWork) -> ts_.UpdateEmployeeResponse:
            employee = await handlers.update_employee(
                uow,
                id=e.id,
                full_name=e.full_name,
                roles=m.roles_from(e.roles),
                territory_id=e.territory_id,
                supervisor_id=e.supervisor_id,
                distributor_id=e.distributor_id,
                active=e.active,
                expected_version=e.version,
            )
            return ts_.UpdateEmployeeResponse(employee=m.employee_pb(employee))

        return await self._write("UpdateEmployee", request, ts_.UpdateEmployeeResponse, work)

    async def ListEmployees(
        self, request: ts_.ListEmployeesRequest, context: grpc.aio.ServicerContext
    ) -> ts_.ListEmployeesResponse:
        role = m.from_enum(m.ROLES, request.role, "role")
        async with self._read() as session:
            items, token = await queries.list_employees(
                session,
                size=page_size(request.page_size),
                token=request.page_token,
                role=role.value if role else None,
                territory_id=optional_id("territory_id", request.territory_id),
            )
        return ts_.ListEmployeesResponse(
            employees=[m.employee_pb(e) for e in items], next_page_token=token
        )

    async def CreateTerritory(
        self, request: ts_.CreateTerritoryRequest, context: grpc.aio.ServicerContext
    ) -> ts_.CreateTerritoryResponse:
        t = request.territory

        async def work(uow: ClientsUnitOfWork) -> ts_.CreateTerritoryResponse:
            territory = await handlers.create_territory(
                uow, id=t.id, name=t.name, parent_id=t.parent_id
            )
            return ts_.CreateTerritoryResponse(territory=m.territory_pb(territory))

        return await self._write("CreateTerritory", request, ts_.CreateTerritoryResponse, work)

    async def ListTerritories(
        self, request: ts_.ListTerritoriesRequest, context: grpc.aio.ServicerContext
    ) -> ts_.ListTerritoriesResponse:
        async with self._read() as session:
            items, token = await queries.list_territories(
                session,
                size=page_size(request.page_size),
                token=request.page_token,
                parent_id=optional_id("parent_id", request.parent_id),
            )
        return ts_.ListTerritoriesResponse(
            territories=[m.territory_pb(t) for t in items], next_page_token=token
        )

    async def CreateRoute(
        self, request: ts_.CreateRouteRequest, context: grpc.aio.ServicerContext
    ) -> ts_.CreateRouteResponse:
        r = request.route

        async def work(uow: ClientsUnitOfWork) -> ts_.CreateRouteResponse:
            route = await handlers.create_route(
                uow, id=r.id, name=r.name, territory_id=r.territory_id, agent_id=r.agent_id
            )
            return ts_.CreateRouteResponse(route=m.route_pb(route))

        return await self._write("CreateRoute", request, ts_.CreateRouteResponse, work)

    async def GetRoute(
        self, request: ts_.GetRouteRequest, context: grpc.aio.ServicerContext
    ) -> ts_.GetRouteResponse:
        r = await self._get(orm.routes, "route", "route_id", request.route_id, route_from)
        return ts_.GetRouteResponse(route=m.route_pb(r))

    async def ListRoutes(
        self, request: ts_.ListRoutesRequest, context: grpc.aio.ServicerContext
    ) -> ts_.ListRoutesResponse:
        async with self._read() as session:
            items, token = await queries.list_routes(
                session,
                size=page_size(request.page_size),
                token=request.page_token,
                agent_id=optional_id("agent_id", request.agent_id),
                territory_id=optional_id("territory_id", request.territory_id),
            )
        return ts_.ListRoutesResponse(routes=[m.route_pb(r) for r in items], next_page_token=token)

    async def SetRouteAssignment(
        self, request: ts_.SetRouteAssignmentRequest, context: grpc.aio.ServicerContext
    ) -> ts_.SetRouteAssignmentResponse:
        a = request.assignment

        async def work(uow: ClientsUnitOfWork) -> ts_.SetRouteAssignmentResponse:
            assignment = await handlers.set_route_assignment(
                uow,
                route_id=a.route_id,
                outlet_id=a.outlet_id,
                frequency=m.from_enum(m.FREQUENCIES, a.frequency, "assignment.frequency"),
                weekdays=list(a.weekdays),
                start_date=from_pb_date("assignment.start_date", a.start_date),
                sequence=a.sequence,
            )
            return ts_.SetRouteAssignmentResponse(assignment=m.assignment_pb(assignment))

        return await self._write(
            "SetRouteAssignment", request, ts_.SetRouteAssignmentResponse, work
        )

    async def RemoveRouteAssignment(
        self, request: ts_.RemoveRouteAssignmentRequest, context: grpc.aio.ServicerContext
    ) -> ts_.RemoveRouteAssignmentResponse:
        async def work(uow: ClientsUnitOfWork) -> ts_.RemoveRouteAssignmentResponse:
            await handlers.remove_route_assignment(
                uow, route_id=request.route_id, outlet_id=request.outlet_id
            )
            return ts_.RemoveRouteAssignmentResponse()

        return await self._write(
            "RemoveRouteAssignment", request, ts_.RemoveRouteAssignmentResponse, work
        )

    async def ListRouteAssignments(
        self, request: ts_.ListRouteAssignmentsRequest, context: grpc.aio.ServicerContext
    ) -> ts_.ListRouteAssignmentsResponse:
        route_id = optional_id("route_id", request.route_id)
        outlet_id = optional_id("outlet_id", request.outlet_id)
        if not route_id and not outlet_id:
            raise InvalidArgument("route_id", "give a route_id or an outlet_id")
        async with self._read() as session:
            items, token = await queries.list_assignments(
                session,
                size=page_size(request.page_size),
                token=request.page_token,
                route_id=route_id,
                outlet_id=outlet_id,
            )
        return ts_.ListRouteAssignmentsResponse(
            assignments=[m.assignment_pb(a) for a in items], next_page_token=token
        )

    async def GetVisitPlan(
        self, request: ts_.GetVisitPlanRequest, context: grpc.aio.ServicerContext
    ) -> bytes:
        """The serialized plan: from the plan cache, or read and then offered to the cache."""
        agent_id = require_id("agent_id", request.agent_id)
        day = from_pb_date("date", request.date)
        assert day is not None
        cache = self.app.plan_cache
        cached = cache.get(agent_id, day)
        if cached is not None:
            return cached
        ticket = cache.ticket()  # before the read: a write committed meanwhile voids the put
        async with self._read() as session:
            plan = await queries.visit_plan(session, agent_id, day)
            # routes.agent_id references employees, so only an empty plan can mean "no agent".
            if not plan.response.visits and not await queries.exists(
                session, orm.employees, agent_id
            ):
                raise NotFound("employee", agent_id, "agent_id")
        body = plan.response.SerializeToString()
        cache.put(ticket, agent_id, day, body, plan.outlet_ids)
        return body


class VisitsServicer(_Base, vs_grpc.VisitsServiceServicer):
    async def CheckIn(
        self, request: vs.CheckInRequest, context: grpc.aio.ServicerContext
    ) -> vs.CheckInResponse:
        async def work(uow: ClientsUnitOfWork) -> vs.CheckInResponse:
            time = from_ts("time", request.time)
            assert time is not None
            visit = await handlers.check_in(
                uow,
                visit_id=request.visit_id,
                agent_id=request.agent_id,
                outlet_id=request.outlet_id,
                time=time,
                location=m.location_from(
                    "location", request.location, request.HasField("location")
                ),
                day=from_pb_date("date", request.date, required=False),
                radius_m=self.app.settings.visit_radius_m,
            )
            return vs.CheckInResponse(visit=m.visit_pb(visit))

        return await self._write("CheckIn", request, vs.CheckInResponse, work)

    async def CheckOut(
        self, request: vs.CheckOutRequest, context: grpc.aio.ServicerContext
    ) -> vs.CheckOutResponse:
        async def work(uow: ClientsUnitOfWork) -> vs.CheckOutResponse:
            time = from_ts("time", request.time)
            assert time is not None
            visit = await handlers.check_out(
                uow,
                visit_id=request.visit_id,
                time=time,
                location=m.location_from(
                    "location", request.location, request.HasField("location")
                ),
                outcome=m.from_enum(m.OUTCOMES, request.outcome, "outcome"),
                notes=request.notes,
                radius_m=self.app.settings.visit_radius_m,
            )
            return vs.CheckOutResponse(visit=m.visit_pb(visit))

        return await self._write("CheckOut", request, vs.CheckOutResponse, work)

    async def RecordMissedVisit(
        self, request: vs.RecordMissedVisitRequest, context: grpc.aio.ServicerContext
    ) -> vs.RecordMissedVisitResponse:
        async def work(uow: ClientsUnitOfWork) -> vs.RecordMissedVisitResponse:
            visit = await handlers.record_missed_visit(
                uow,
                visit_id=request.visit_id,
                agent_id=request.agent_id,
                outlet_id=request.outlet_id,
                day=from_pb_date("date", request.date),
                reason=request.reason,
            )
            return vs.RecordMissedVisitResponse(visit=m.visit_pb(visit))

        return await self._write("RecordMissedVisit", request, vs.RecordMissedVisitResponse, work)

    async def GetVisit(
        self, request: vs.GetVisitRequest, context: grpc.aio.ServicerContext
    ) -> vs.GetVisitResponse:
        v = await self._get(orm.visits, "visit", "visit_id", request.visit_id, visit_from)
        return vs.GetVisitResponse(visit=m.visit_pb(v))

    async def ListVisits(
        self, request: vs.ListVisitsRequest, context: grpc.aio.ServicerContext
    ) -> vs.ListVisitsResponse:
        async with self._read() as session:
            items, token = await queries.list_visits(
                session,
                size=page_size(request.page_size),
                token=request.page_token,
                agent_id=optional_id("agent_id", request.agent_id),
                outlet_id=optional_id("outlet_id", request.outlet_id),
                from_date=from_pb_date("from_date", request.from_date, required=False),
                to_date=from_pb_date("to_date", request.to_date, required=False),
            )
        return vs.ListVisitsResponse(visits=[m.visit_pb(v) for v in items], next_page_token=token)

    async def CreateQuestionnaire(
        self, request: vs.CreateQuestionnaireRequest, context: grpc.aio.ServicerContext
    ) -> vs.CreateQuestionnaireResponse:
        q = request.questionnaire

        async def work(uow: ClientsUnitOfWork) -> vs.CreateQuestionnaireResponse:
            questionnaire = await handlers.create_questionnaire(
                uow,
                id=q.id,
                name=q.name,
                questions=[
                    (
                        x.id,
                        x.text,
                        m.from_enum(m.QUESTION_TYPES, x.type, f"questionnaire.questions[{i}].type"),
                        list(x.options),
                        x.required,
                    )
                    for i, x in enumerate(q.questions)
                ],
                must_stock_skus=list(q.must_stock_skus),
            )
            return vs.CreateQuestionnaireResponse(questionnaire=m.questionnaire_pb(questionnaire))

        return await self._write(
            "CreateQuestionnaire", request, vs.CreateQuestionnaireResponse, work
        )

    async def GetQuestionnaire(
        self, request: vs.GetQuestionnaireRequest, context: grpc.aio.ServicerContext
    ) -> vs.GetQuestionnaireResponse:
        q = await self._get(
            orm.questionnaires,
            "questionnaire",
            "questionnaire_id",
            request.questionnaire_id,
            questionnaire_from,
        )
        return vs.GetQuestionnaireResponse(questionnaire=m.questionnaire_pb(q))

    async def ListQuestionnaires(
        self, request: vs.ListQuestionnairesRequest, context: grpc.aio.ServicerContext
    ) -> vs.ListQuestionnairesResponse:
        async with self._read() as session:
            items, token = await queries.list_questionnaires(
                session, size=page_size(request.page_size), token=request.page_token
            )
        return vs.ListQuestionnairesResponse(
            questionnaires=[m.questionnaire_pb(q) for q in items], next_page_token=token
        )

    async def SubmitAudit(
        self, request: vs.SubmitAuditRequest, context: grpc.aio.ServicerContext
    ) -> vs.SubmitAuditResponse:
        a = request.audit

        async def work(uow: ClientsUnitOfWork) -> vs.SubmitAuditResponse:
            audit = await handlers.submit_audit(
                uow,
                self.app.clock(),
                id=a.id,
                visit_id=a.visit_id,
                questionnaire_id=a.questionnaire_id,
                agent_id=a.agent_id,
                outlet_id=a.outlet_id,
                answers=[m.answer_from(x, f"audit.answers[{i}]") for i, x in enumerate(a.answers)],
                must_stock=[
                    m.must_stock_from(x, f"audit.must_stock[{i}]")
                    for i, x in enumerate(a.must_stock)
                ],
                competitor_prices=[
                    m.competitor_price_from(x, f"audit.competitor_prices[{i}]")
                    for i, x in enumerate(a.competitor_prices)
                ],
            )
            return vs.SubmitAuditResponse(audit=m.audit_pb(audit))

        return await self._write("SubmitAudit", request, vs.SubmitAuditResponse, work)

    async def GetAudit(
        self, request: vs.GetAuditRequest, context: grpc.aio.ServicerContext
    ) -> vs.GetAuditResponse:
        a = await self._get(orm.audits, "audit", "audit_id", request.audit_id, audit_from)
        return vs.GetAuditResponse(audit=m.audit_pb(a))

    async def ListAudits(
        self, request: vs.ListAuditsRequest, context: grpc.aio.ServicerContext
    ) -> vs.ListAuditsResponse:
        async with self._read() as session:
            items, token = await queries.list_audits(
                session,
                size=page_size(request.page_size),
                token=request.page_token,
                outlet_id=optional_id("outlet_id", request.outlet_id),
                visit_id=optional_id("visit_id", request.visit_id),
            )
        return vs.ListAuditsResponse(audits=[m.audit_pb(a) for a in items], next_page_token=token)


def register(app: App) -> Callable[[grpc.aio.Server], Iterable[str]]:
    def _register(server: grpc.aio.Server) -> Iterable[str]:
        cs_grpc.add_ClientsServiceServicer_to_server(ClientsServicer(app), server)
        ts_grpc.add_TerritoryServiceServicer_to_server(TerritoryServicer(app), server)
        vs_grpc.add_VisitsServiceServicer_to_server(VisitsServicer(app), server)
        return [
            cs.DESCRIPTOR.services_by_name["ClientsService"].full_name,
            ts_.DESCRIPTOR.services_by_name["TerritoryService"].full_name,
            vs.DESCRIPTOR.services_by_name["VisitsService"].full_name,
        ]

    return _register
