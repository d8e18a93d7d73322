"""Every call authenticated, every actor from the token, every caller in its scope (issue 11).

The service runs as `serve` runs it with auth on (the kit's harness, the test process's
issuer). Table-driven over every RPC of the three APIs (from their descriptors): without a
token, UNAUTHENTICATED; as a role its rule does not admit, PERMISSION_DENIED; both write
nothing. Then the data scope, over a world of two teams — supervisor SA with agent A,
supervisor SB with agent B, telesellers TA and TB, distributor managers MA and MB of
distributors DA and DB (B's audit is DB's) — where A, SA, TA and MA try every RPC that reaches
scoped data on B's outlets, routes, visits, audits and proposals: a read is NOT_FOUND, a list
leaves it out, a write is PERMISSION_DENIED and writes nothing, while B, SB, TB and MB see the
same. A body that still
carries the removed actor fields changes nothing: who acts is the token's subject.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import grpc
import pytest
import pytest_asyncio
from google.protobuf import field_mask_pb2, message_factory, timestamp_pb2
from google.protobuf.message import Message
from sqlalchemy import select

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline_clients.adapters import orm
from fieldline_clients.entrypoints.policy import POLICY
from fieldline_kit.auth import Kind, Scope
from fieldline_kit.auth.directory import DIRECTORY_TTL_SECONDS
from fieldline_kit.auth.policy import rule_for
from fieldline_kit.settings import SettingsError
from fieldline_kit.testing.auth import Caller, bad_tokens
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import expect_error, new_id, refused_within
from fieldline_kit.testing.nats_server import EmbeddedNats

from .builders import (
    caller_of,
    card,
    make_client,
    make_employee,
    make_outlet,
    make_questionnaire,
    make_route,
    pb_date,
    phone_call,
    put_on_route,
)
from .conftest import Harness, harness

APIS = [
    cs.DESCRIPTOR.services_by_name["ClientsService"],
    ts.DESCRIPTOR.services_by_name["TerritoryService"],
    vs.DESCRIPTOR.services_by_name["VisitsService"],
]
METHODS = {m.name: (api, m) for api in APIS for m in api.methods}
RULES = {name: rule_for(POLICY, f"/{api.full_name}/{name}") for name, (api, _) in METHODS.items()}
ROLES = (
    "AGENT",
    "VAN_SELLER",
    "MERCHANDISER",
    "DISTRIBUTOR_MANAGER",
    "SUPERVISOR",
    "TECHNICIAN",
    "TELESELLER",
    "ADMIN",
    "SERVICE",
)
# One principal per role, none of them an employee of the world's teams.
CALLERS = {
    role: Caller("svc:test", {role}, Kind.SERVICE)
    if role == "SERVICE"
    else Caller(f"e-{role.lower()}", {role})
    for role in ROLES
}
MONDAY = date(2026, 11, 2)  # the first day of `put_on_route`'s schedules
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
DENIED = grpc.StatusCode.PERMISSION_DENIED
NOT_FOUND = grpc.StatusCode.NOT_FOUND


def call(channel: grpc.aio.Channel, name: str) -> grpc.aio.UnaryUnaryMultiCallable:
    api, method = METHODS[name]
    response = message_factory.GetMessageClass(method.output_type)
    return channel.unary_unary(
        f"/{api.full_name}/{name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response.FromString,
    )


def now() -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(datetime.now(UTC))
    return out


# Columns the outbox relay fills in after the commit, on its own time: not a write of a call.
RELAY_COLUMNS = {"published_at", "attempts", "last_error"}


async def snapshot(h: Harness) -> dict[str, list[str]]:
    """Every row of every table (the outbox included): "nothing written" is this unchanged."""
    out = {}
    async with h.app.read_sessions() as session:
        for table in orm.metadata.sorted_tables:
            columns = [c for c in table.c if c.name not in RELAY_COLUMNS]
            rows = (await session.execute(select(*columns))).all()
            out[table.name] = sorted(repr(tuple(r)) for r in rows)
    return out


# ---------------------------------------------------------------------------- the world
@dataclass
class World:
    client: pb.Client
    sa: pb.Employee  # supervises A
    sb: pb.Employee  # supervises B
    a: pb.Employee
    b: pb.Employee
    outlet_a: pb.Outlet
    outlet_b: pb.Outlet
    route_a: pb.Route
    route_b: pb.Route
    questionnaire: pb.Questionnaire
    visit_a: pb.Visit
    visit_b: pb.Visit
    audit_b: pb.Audit
    proposal_b: pb.Proposal  # B's new outlet, pending
    ta: pb.Employee  # teleseller of SA's team: calls outlet A (its PHONE route)
    tb: pb.Employee  # teleseller of SB's team: calls outlet B
    phone_b: pb.Route
    call_b: pb.Call  # TB's call to outlet B
    ma: pb.Employee  # distributor manager of DA
    mb: pb.Employee  # distributor manager of DB, whose audit audit_b is
    db: pb.Client  # a distributor


async def build(h: Harness) -> World:
    client = await make_client(h)
    da, db = [await make_client(h, type=pb.CLIENT_TYPE_DISTRIBUTOR) for _ in range(2)]
    ma = await make_employee(h, pb.ROLE_DISTRIBUTOR_MANAGER, distributor_id=da.id)
    mb = await make_employee(h, pb.ROLE_DISTRIBUTOR_MANAGER, distributor_id=db.id)
    sa, sb = [await make_employee(h, pb.ROLE_SUPERVISOR) for _ in range(2)]
    a = await make_employee(h, pb.ROLE_AGENT, supervisor_id=sa.id)
    b = await make_employee(h, pb.ROLE_AGENT, supervisor_id=sb.id)
    outlet_a = await make_outlet(h, client.id, card(f"Точка A {new_id()}"))
    outlet_b = await make_outlet(h, client.id, card(f"Точка B {new_id()}"))
    route_a, route_b = await make_route(h, a.id), await make_route(h, b.id)
    await put_on_route(h, route_a.id, outlet_a.id)
    await put_on_route(h, route_b.id, outlet_b.id)
    questionnaire = await make_questionnaire(h)
    as_a, as_b = h.calling(caller_of(a)), h.calling(caller_of(b))
    visits = []
    for agent, outlet in ((as_a, outlet_a), (as_b, outlet_b)):
        checked_in = await agent.visits.CheckIn(
            vs.CheckInRequest(
                request_id=new_id(), visit_id=new_id(), outlet_id=outlet.id, time=now()
            )
        )
        visits.append(checked_in.visit)
    audit_b = (
        await as_b.visits.SubmitAudit(
            vs.SubmitAuditRequest(
                request_id=new_id(),
                audit=pb.Audit(
                    id=new_id(),
                    visit_id=visits[1].id,
                    questionnaire_id=questionnaire.id,
                    distributor_id=db.id,
                ),
            )
        )
    ).audit
    proposal_b = (
        await as_b.clients.ProposeOutlet(
            cs.ProposeOutletRequest(
                request_id=new_id(),
                proposal_id=new_id(),
                outlet_id=new_id(),
                client_id=client.id,
                card=card(f"Новая точка B {new_id()}"),
            )
        )
    ).proposal
    visit_a, visit_b = visits
    ta = await make_employee(h, pb.ROLE_TELESELLER, supervisor_id=sa.id)
    tb = await make_employee(h, pb.ROLE_TELESELLER, supervisor_id=sb.id)
    phone_a = await make_route(h, ta.id, pb.ROUTE_KIND_PHONE)
    phone_b = await make_route(h, tb.id, pb.ROUTE_KIND_PHONE)
    await put_on_route(h, phone_a.id, outlet_a.id)
    await put_on_route(h, phone_b.id, outlet_b.id)
    call_b = (
        await h.calling(caller_of(tb)).visits.RecordCall(
            vs.RecordCallRequest(request_id=new_id(), call=phone_call(outlet_b.id))
        )
    ).call
    return World(
        client=client,
        sa=sa,
        sb=sb,
        a=a,
        b=b,
        outlet_a=outlet_a,
        outlet_b=outlet_b,
        route_a=route_a,
        route_b=route_b,
        questionnaire=questionnaire,
        visit_a=visit_a,
        visit_b=visit_b,
        audit_b=audit_b,
        proposal_b=proposal_b,
        ta=ta,
        tb=tb,
        phone_b=phone_b,
        call_b=call_b,
        ma=ma,
        mb=mb,
        db=db,
    )


@pytest_asyncio.fixture(scope="module")
async def world(svc: Harness) -> World:
    return await build(svc)


def valid_request(name: str, w: World) -> Message:
    """A request the RPC would carry out for an ADMIN (so only admission can refuse it)."""
    mask = field_mask_pb2.FieldMask
    b, outlet, route, visit = w.b, w.outlet_b, w.route_b, w.visit_b
    assignment = pb.RouteAssignment(
        route_id=route.id,
        outlet_id=outlet.id,
        frequency=pb.VISIT_FREQUENCY_WEEKLY,
        weekdays=[2],
        start_date=pb_date(MONDAY),
    )
    client = pb.Client(
        id=new_id(),
        name="ООО «Новый»",
        inn=w.client.inn,
        kpp="770101001",
        type=pb.CLIENT_TYPE_RETAIL,
    )
    requests: dict[str, Callable[[], Message]] = {
        "CreateClient": lambda: cs.CreateClientRequest(request_id=new_id(), client=client),
        "GetClient": lambda: cs.GetClientRequest(client_id=w.client.id),
        "UpdateClient": lambda: cs.UpdateClientRequest(
            request_id=new_id(),
            client=pb.Client(id=w.client.id, legal_address="Казань"),
            expected_version=w.client.version,
            update_mask=mask(paths=["legal_address"]),
        ),
        "ListClients": lambda: cs.ListClientsRequest(),
        "UpsertClients": lambda: cs.UpsertClientsRequest(
            request_id=new_id(),
            clients=[
                cs.ClientUpsert(
                    external_id=f"erp-{new_id()}",
                    name="ООО «Из ERP»",
                    inn=w.client.inn,
                    kpp="770101001",
                    type=pb.CLIENT_TYPE_RETAIL,
                )
            ],
        ),
        "CreateOutlet": lambda: cs.CreateOutletRequest(
            request_id=new_id(), outlet=pb.Outlet(id=new_id(), client_id=w.client.id, card=card())
        ),
        "GetOutlet": lambda: cs.GetOutletRequest(outlet_id=outlet.id),
        "UpdateOutletCard": lambda: cs.UpdateOutletCardRequest(
            request_id=new_id(),
            outlet_id=outlet.id,
            expected_version=outlet.version,
            card=pb.OutletCard(address="Москва, ул. Новая, 1"),
            update_mask=mask(paths=["address"]),
        ),
        "SetOutletStatus": lambda: cs.SetOutletStatusRequest(
            request_id=new_id(),
            outlet_id=outlet.id,
            expected_version=outlet.version,
            status=pb.OUTLET_STATUS_CLOSED,
        ),
        "ListOutlets": lambda: cs.ListOutletsRequest(),
        "SearchOutlets": lambda: cs.SearchOutletsRequest(name_query=outlet.card.name),
        "ListOutletCardHistory": lambda: cs.ListOutletCardHistoryRequest(outlet_id=outlet.id),
        "ProposeOutlet": lambda: cs.ProposeOutletRequest(
            request_id=new_id(),
            proposal_id=new_id(),
            outlet_id=new_id(),
            client_id=w.client.id,
            card=card(),
        ),
        "ProposeCardChange": lambda: cs.ProposeCardChangeRequest(
            request_id=new_id(),
            proposal_id=new_id(),
            outlet_id=outlet.id,
            card=pb.OutletCard(outlet_class="A"),
            update_mask=mask(paths=["outlet_class"]),
        ),
        "DecideProposal": lambda: cs.DecideProposalRequest(
            request_id=new_id(), proposal_id=w.proposal_b.id, decision=cs.DECISION_APPROVE
        ),
        "GetProposal": lambda: cs.GetProposalRequest(proposal_id=w.proposal_b.id),
        "ListProposals": lambda: cs.ListProposalsRequest(),
        "CreateEmployee": lambda: ts.CreateEmployeeRequest(
            request_id=new_id(),
            employee=pb.Employee(id=new_id(), full_name="Новый агент", roles=[pb.ROLE_AGENT]),
        ),
        "GetEmployee": lambda: ts.GetEmployeeRequest(employee_id=b.id),
        "UpdateEmployee": lambda: ts.UpdateEmployeeRequest(
            request_id=new_id(),
            employee=pb.Employee(
                id=b.id,
                full_name="Переименованный",
                roles=b.roles,
                supervisor_id=b.supervisor_id,
                active=True,
                version=b.version,
            ),
        ),
        "ListEmployees": lambda: ts.ListEmployeesRequest(),
        "UpsertEmployees": lambda: ts.UpsertEmployeesRequest(
            request_id=new_id(),
            employees=[
                ts.EmployeeUpsert(
                    external_id=f"erp-{new_id()}",
                    full_name="Агент из ERP",
                    roles=[pb.ROLE_AGENT],
                    active=True,
                )
            ],
        ),
        "CreateTerritory": lambda: ts.CreateTerritoryRequest(
            request_id=new_id(), territory=pb.Territory(id=new_id(), name="Казань")
        ),
        "ListTerritories": lambda: ts.ListTerritoriesRequest(),
        "CreateRoute": lambda: ts.CreateRouteRequest(
            request_id=new_id(), route=pb.Route(id=new_id(), name="Маршрут 2", agent_id=b.id)
        ),
        "GetRoute": lambda: ts.GetRouteRequest(route_id=route.id),
        "ListRoutes": lambda: ts.ListRoutesRequest(),
        "SetRouteAssignment": lambda: ts.SetRouteAssignmentRequest(
            request_id=new_id(), assignment=assignment
        ),
        "RemoveRouteAssignment": lambda: ts.RemoveRouteAssignmentRequest(
            request_id=new_id(), route_id=route.id, outlet_id=outlet.id
        ),
        "ListRouteAssignments": lambda: ts.ListRouteAssignmentsRequest(route_id=route.id),
        "ScheduleRouteAgents": lambda: ts.ScheduleRouteAgentsRequest(
            request_id=new_id(),
            periods=[
                pb.RouteAgentPeriod(route_id=route.id, employee_id=b.id, valid_from=pb_date(MONDAY))
            ],
        ),
        "ListRouteAgentPeriods": lambda: ts.ListRouteAgentPeriodsRequest(route_id=route.id),
        "GetVisitPlan": lambda: ts.GetVisitPlanRequest(agent_id=b.id, date=pb_date(MONDAY)),
        "CheckIn": lambda: vs.CheckInRequest(
            request_id=new_id(),
            visit_id=new_id(),
            outlet_id=outlet.id,
            time=now(),
            for_agent_id=b.id,
        ),
        "CheckOut": lambda: vs.CheckOutRequest(
            request_id=new_id(), visit_id=visit.id, time=now(), outcome=pb.VISIT_OUTCOME_NO_ORDER
        ),
        "RecordMissedVisit": lambda: vs.RecordMissedVisitRequest(
            request_id=new_id(),
            visit_id=new_id(),
            outlet_id=outlet.id,
            date=pb_date(MONDAY),
            reason="закрыто",
            for_agent_id=b.id,
        ),
        "GetVisit": lambda: vs.GetVisitRequest(visit_id=visit.id),
        "ListVisits": lambda: vs.ListVisitsRequest(),
        "CreateQuestionnaire": lambda: vs.CreateQuestionnaireRequest(
            request_id=new_id(),
            questionnaire=pb.Questionnaire(id=new_id(), name="Пусто", must_stock_skus=["SKU-1"]),
        ),
        "UpdateQuestionnaire": lambda: vs.UpdateQuestionnaireRequest(
            request_id=new_id(),
            questionnaire=pb.Questionnaire(
                id=w.questionnaire.id,
                name="Переименованный",
                questions=w.questionnaire.questions,
                version=w.questionnaire.version,
            ),
        ),
        "GetQuestionnaire": lambda: vs.GetQuestionnaireRequest(questionnaire_id=w.questionnaire.id),
        "ListQuestionnaires": lambda: vs.ListQuestionnairesRequest(),
        "SubmitAudit": lambda: vs.SubmitAuditRequest(
            request_id=new_id(),
            audit=pb.Audit(id=new_id(), visit_id=visit.id, questionnaire_id=w.questionnaire.id),
        ),
        "GetAudit": lambda: vs.GetAuditRequest(audit_id=w.audit_b.id),
        "ListAudits": lambda: vs.ListAuditsRequest(),
        "RecordCall": lambda: vs.RecordCallRequest(
            request_id=new_id(), call=phone_call(outlet.id), for_teleseller_id=w.tb.id
        ),
        "GetCall": lambda: vs.GetCallRequest(call_id=w.call_b.id),
        "ListCalls": lambda: vs.ListCallsRequest(),
        "GetCallPlan": lambda: ts.GetCallPlanRequest(teleseller_id=w.tb.id, date=pb_date(MONDAY)),
    }
    return requests[name]()


# -------------------------------------------------------------------- tokens and roles
def test_every_rpc_has_a_rule() -> None:
    assert [name for name, rule in RULES.items() if rule is None] == []


@pytest.mark.parametrize("name", sorted(METHODS))
async def test_every_rpc_without_a_token_or_with_a_bad_one_is_unauthenticated_and_writes_nothing(
    svc: Harness, world: World, name: str
) -> None:
    before = await snapshot(svc)
    async with grpc.aio.insecure_channel(svc.target) as channel:
        rpc = call(channel, name)
        await expect_error(rpc(valid_request(name, world)), UNAUTHENTICATED, "no token")
        for what, token in bad_tokens().items():
            error = await expect_error(
                rpc(valid_request(name, world), metadata=(("authorization", f"Bearer {token}"),)),
                UNAUTHENTICATED,
            )
            assert token not in (error.details() or ""), what
    assert await snapshot(svc) == before


@pytest.mark.parametrize("name", sorted(METHODS))
async def test_every_rpc_refuses_each_role_its_rule_does_not_admit_and_writes_nothing(
    svc: Harness, world: World, name: str
) -> None:
    rule = RULES[name]
    assert rule is not None
    before = await snapshot(svc)
    for role in sorted(set(ROLES) - rule.roles):
        channel = svc.channel_as(CALLERS[role])
        await expect_error(
            call(channel, name)(valid_request(name, world)), DENIED, "no role admitted"
        )
    assert await snapshot(svc) == before


# -------------------------------------------------------------------------- data scope
def ids(field: str, key: str = "id") -> Callable[[Any], set[str]]:
    """The ids a list response holds: `getattr(item, key)` of each item of its `field`."""

    def get(response: Any) -> set[str]:
        return {getattr(item, key) for item in getattr(response, field)}

    return get


def outlet_ids(response: Any) -> set[str]:
    return {m.outlet.id for m in response.matches}


@dataclass(frozen=True)
class Case:
    """An RPC reaching B's data: refused to A (and/or to SA), answered to B (and SB).

    `kind`: "read" (NOT_FOUND outside, found inside), "list" (`target` left out outside,
    listed inside), "write" (PERMISSION_DENIED outside; not run inside)."""

    rpc: str
    request: Callable[[World], Message]
    kind: str
    callers: tuple[str, ...] = ("agent", "supervisor")
    target: Callable[[World], str] | None = None
    listed: Callable[[Any], set[str]] | None = None

    def __str__(self) -> str:
        return self.rpc


def read(rpc: str, request: Callable[[World], Message], *callers: str) -> Case:
    return Case(rpc, request, "read", callers or ("agent", "supervisor"))


def listing(
    rpc: str,
    request: Callable[[World], Message],
    target: Callable[[World], str],
    listed: Callable[[Any], set[str]],
    *callers: str,
) -> Case:
    return Case(rpc, request, "list", callers or ("agent", "supervisor"), target, listed)


def write(rpc: str, request: Callable[[World], Message], *callers: str) -> Case:
    return Case(rpc, request, "write", callers or ("agent", "supervisor"))


EVERYONE = ("agent", "supervisor", "teleseller")
AUDIT_READERS = ("agent", "supervisor", "distributor")  # a manager: its distributor's audits

CASES = [
    # reads: NOT_FOUND, as for what does not exist
    read("GetOutlet", lambda w: cs.GetOutletRequest(outlet_id=w.outlet_b.id), *EVERYONE),
    read("GetOutlet", lambda w: cs.GetOutletRequest(outlet_id=w.proposal_b.outlet_id)),
    read(
        "ListOutletCardHistory",
        lambda w: cs.ListOutletCardHistoryRequest(outlet_id=w.outlet_b.id),
        *EVERYONE,
    ),
    read("GetProposal", lambda w: cs.GetProposalRequest(proposal_id=w.proposal_b.id)),
    read("GetEmployee", lambda w: ts.GetEmployeeRequest(employee_id=w.b.id)),
    read("GetEmployee", lambda w: ts.GetEmployeeRequest(employee_id=w.tb.id), "teleseller"),
    read("GetEmployee", lambda w: ts.GetEmployeeRequest(employee_id=w.mb.id), "distributor"),
    read("GetRoute", lambda w: ts.GetRouteRequest(route_id=w.route_b.id)),
    read("GetRoute", lambda w: ts.GetRouteRequest(route_id=w.phone_b.id), "teleseller"),
    read(
        "ListRouteAgentPeriods",
        lambda w: ts.ListRouteAgentPeriodsRequest(route_id=w.route_b.id),
        "supervisor",
    ),
    read("GetVisitPlan", lambda w: ts.GetVisitPlanRequest(agent_id=w.b.id, date=pb_date(MONDAY))),
    read("GetVisit", lambda w: vs.GetVisitRequest(visit_id=w.visit_b.id)),
    read("GetAudit", lambda w: vs.GetAuditRequest(audit_id=w.audit_b.id), *AUDIT_READERS),
    read("GetCall", lambda w: vs.GetCallRequest(call_id=w.call_b.id), "teleseller", "supervisor"),
    read(
        "GetCallPlan",
        lambda w: ts.GetCallPlanRequest(teleseller_id=w.tb.id, date=pb_date(MONDAY)),
        "teleseller",
        "supervisor",
    ),
    # lists: left out
    listing(
        "ListOutlets",
        lambda w: cs.ListOutletsRequest(client_id=w.client.id),
        lambda w: w.outlet_b.id,
        ids("outlets"),
        *EVERYONE,
    ),
    listing(
        "SearchOutlets",
        lambda w: cs.SearchOutletsRequest(name_query=w.outlet_b.card.name),
        lambda w: w.outlet_b.id,
        outlet_ids,
        *EVERYONE,
    ),
    listing(
        "SearchOutlets",
        lambda w: cs.SearchOutletsRequest(inn=w.client.inn, page_size=1000),
        lambda w: w.outlet_b.id,
        outlet_ids,
        *EVERYONE,
    ),
    listing(
        "SearchOutlets",
        lambda w: cs.SearchOutletsRequest(
            near=w.outlet_b.card.location, radius_m=10, page_size=1000
        ),
        lambda w: w.outlet_b.id,
        outlet_ids,
        *EVERYONE,
    ),
    listing(
        "ListCalls",
        lambda w: vs.ListCallsRequest(teleseller_id=w.tb.id),
        lambda w: w.call_b.id,
        ids("calls"),
        "teleseller",
        "supervisor",
    ),
    listing(
        "ListCalls",
        lambda w: vs.ListCallsRequest(outlet_id=w.outlet_b.id, page_size=1000),
        lambda w: w.call_b.id,
        ids("calls"),
        "teleseller",
        "supervisor",
    ),
    listing(
        "ListProposals",
        lambda w: cs.ListProposalsRequest(page_size=1000),
        lambda w: w.proposal_b.id,
        ids("proposals"),
    ),
    listing(
        "ListEmployees",
        lambda w: ts.ListEmployeesRequest(page_size=1000),
        lambda w: w.b.id,
        ids("employees"),
        "supervisor",
    ),
    listing(
        "ListRoutes",
        lambda w: ts.ListRoutesRequest(agent_id=w.b.id),
        lambda w: w.route_b.id,
        ids("routes"),
    ),
    listing(
        "ListRoutes",
        lambda w: ts.ListRoutesRequest(agent_id=w.tb.id),
        lambda w: w.phone_b.id,
        ids("routes"),
        "teleseller",
    ),
    listing(
        "ListRouteAssignments",
        lambda w: ts.ListRouteAssignmentsRequest(route_id=w.route_b.id),
        lambda w: w.outlet_b.id,
        ids("assignments", "outlet_id"),
    ),
    listing(
        "ListRouteAssignments",
        lambda w: ts.ListRouteAssignmentsRequest(route_id=w.phone_b.id),
        lambda w: w.outlet_b.id,
        ids("assignments", "outlet_id"),
        "teleseller",
    ),
    listing(
        "ListRouteAssignments",
        lambda w: ts.ListRouteAssignmentsRequest(outlet_id=w.outlet_b.id),
        lambda w: w.route_b.id,
        ids("assignments", "route_id"),
    ),
    listing(
        "ListVisits",
        lambda w: vs.ListVisitsRequest(agent_id=w.b.id),
        lambda w: w.visit_b.id,
        ids("visits"),
    ),
    listing(
        "ListVisits",
        lambda w: vs.ListVisitsRequest(outlet_id=w.outlet_b.id),
        lambda w: w.visit_b.id,
        ids("visits"),
    ),
    listing(
        "ListAudits",
        lambda w: vs.ListAuditsRequest(visit_id=w.visit_b.id),
        lambda w: w.audit_b.id,
        ids("audits"),
        *AUDIT_READERS,
    ),
    listing(
        "ListAudits",
        lambda w: vs.ListAuditsRequest(outlet_id=w.outlet_b.id),
        lambda w: w.audit_b.id,
        ids("audits"),
        *AUDIT_READERS,
    ),
    listing(
        "ListAudits",
        lambda w: vs.ListAuditsRequest(distributor_id=w.db.id, page_size=1000),
        lambda w: w.audit_b.id,
        ids("audits"),
        *AUDIT_READERS,
    ),
    # writes: PERMISSION_DENIED, nothing written
    write(
        "ProposeOutlet",  # a "retry" of B's proposal
        lambda w: cs.ProposeOutletRequest(
            request_id=new_id(),
            proposal_id=w.proposal_b.id,
            outlet_id=w.proposal_b.outlet_id,
            client_id=w.client.id,
            card=w.proposal_b.card,
        ),
    ),
    write(
        "ProposeCardChange",
        lambda w: cs.ProposeCardChangeRequest(
            request_id=new_id(),
            proposal_id=new_id(),
            outlet_id=w.outlet_b.id,
            card=pb.OutletCard(outlet_class="A"),
            update_mask=field_mask_pb2.FieldMask(paths=["outlet_class"]),
        ),
    ),
    write(
        "UpdateOutletCard",
        lambda w: cs.UpdateOutletCardRequest(
            request_id=new_id(),
            outlet_id=w.outlet_b.id,
            expected_version=w.outlet_b.version,
            card=pb.OutletCard(address="чужой адрес"),
            update_mask=field_mask_pb2.FieldMask(paths=["address"]),
        ),
        "supervisor",
    ),
    write(
        "SetOutletStatus",
        lambda w: cs.SetOutletStatusRequest(
            request_id=new_id(),
            outlet_id=w.outlet_b.id,
            expected_version=w.outlet_b.version,
            status=pb.OUTLET_STATUS_CLOSED,
        ),
        "supervisor",
    ),
    write(
        "DecideProposal",
        lambda w: cs.DecideProposalRequest(
            request_id=new_id(),
            proposal_id=w.proposal_b.id,
            decision=cs.DECISION_REJECT,
            reason="нет",
        ),
        "supervisor",
    ),
    write(
        "CreateRoute",
        lambda w: ts.CreateRouteRequest(
            request_id=new_id(), route=pb.Route(id=new_id(), name="Чужой", agent_id=w.b.id)
        ),
        "supervisor",
    ),
    write(
        "SetRouteAssignment",  # B's route
        lambda w: ts.SetRouteAssignmentRequest(
            request_id=new_id(),
            assignment=pb.RouteAssignment(
                route_id=w.route_b.id,
                outlet_id=w.outlet_b.id,
                frequency=pb.VISIT_FREQUENCY_WEEKLY,
                weekdays=[3],
                start_date=pb_date(MONDAY),
            ),
        ),
        "supervisor",
    ),
    write(
        "SetRouteAssignment",  # B's outlet onto A's route
        lambda w: ts.SetRouteAssignmentRequest(
            request_id=new_id(),
            assignment=pb.RouteAssignment(
                route_id=w.route_a.id,
                outlet_id=w.outlet_b.id,
                frequency=pb.VISIT_FREQUENCY_WEEKLY,
                weekdays=[3],
                start_date=pb_date(MONDAY),
            ),
        ),
        "supervisor",
    ),
    write(
        "RemoveRouteAssignment",
        lambda w: ts.RemoveRouteAssignmentRequest(
            request_id=new_id(), route_id=w.route_b.id, outlet_id=w.outlet_b.id
        ),
        "supervisor",
    ),
    write(
        "CheckIn",  # at B's outlet
        lambda w: vs.CheckInRequest(
            request_id=new_id(), visit_id=new_id(), outlet_id=w.outlet_b.id, time=now()
        ),
    ),
    write(
        "CheckIn",  # as B, at A's outlet
        lambda w: vs.CheckInRequest(
            request_id=new_id(),
            visit_id=new_id(),
            outlet_id=w.outlet_a.id,
            time=now(),
            for_agent_id=w.b.id,
        ),
    ),
    write(
        "CheckOut",
        lambda w: vs.CheckOutRequest(
            request_id=new_id(),
            visit_id=w.visit_b.id,
            time=now(),
            outcome=pb.VISIT_OUTCOME_NO_ORDER,
        ),
    ),
    write(
        "RecordMissedVisit",  # at B's outlet
        lambda w: vs.RecordMissedVisitRequest(
            request_id=new_id(),
            visit_id=new_id(),
            outlet_id=w.outlet_b.id,
            date=pb_date(MONDAY),
            reason="закрыто",
        ),
    ),
    write(
        "RecordMissedVisit",  # as B
        lambda w: vs.RecordMissedVisitRequest(
            request_id=new_id(),
            visit_id=new_id(),
            outlet_id=w.outlet_a.id,
            date=pb_date(MONDAY),
            reason="закрыто",
            for_agent_id=w.b.id,
        ),
    ),
    write(
        "SubmitAudit",
        lambda w: vs.SubmitAuditRequest(
            request_id=new_id(),
            audit=pb.Audit(id=new_id(), visit_id=w.visit_b.id, questionnaire_id=w.questionnaire.id),
        ),
    ),
    write(
        "RecordCall",  # at B's outlet
        lambda w: vs.RecordCallRequest(request_id=new_id(), call=phone_call(w.outlet_b.id)),
        "teleseller",
    ),
    write(
        "RecordCall",  # as TB, at B's outlet
        lambda w: vs.RecordCallRequest(
            request_id=new_id(), call=phone_call(w.outlet_b.id), for_teleseller_id=w.tb.id
        ),
        "teleseller",
    ),
    write(
        "RecordCall",  # a "retry" of TB's call
        lambda w: vs.RecordCallRequest(request_id=new_id(), call=w.call_b),
        "teleseller",
    ),
    write(
        "SubmitAudit",  # a "retry" of B's audit
        lambda w: vs.SubmitAuditRequest(
            request_id=new_id(),
            audit=pb.Audit(
                id=w.audit_b.id, visit_id=w.visit_a.id, questionnaire_id=w.questionnaire.id
            ),
        ),
        "agent",
    ),
]


def test_every_rpc_reaching_scoped_data_has_a_case_for_each_scoped_role() -> None:
    for name, rule in RULES.items():
        assert rule is not None
        if rule.scope == Scope.COMPANY:
            continue
        for role, who in (
            ("AGENT", "agent"),
            ("SUPERVISOR", "supervisor"),
            ("TELESELLER", "teleseller"),
            ("DISTRIBUTOR_MANAGER", "distributor"),
        ):
            if role in rule.roles:
                assert any(c.rpc == name and who in c.callers for c in CASES), (name, who)


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_outside_its_scope_a_read_is_not_found_a_list_leaves_out_a_write_is_denied(
    svc: Harness, world: World, case: Case
) -> None:
    outsiders = {
        "agent": caller_of(world.a),
        "supervisor": caller_of(world.sa),
        "teleseller": caller_of(world.ta),
        "distributor": caller_of(world.ma),
    }
    insiders = {
        "agent": caller_of(world.b),
        "supervisor": caller_of(world.sb),
        "teleseller": caller_of(world.tb),
        "distributor": caller_of(world.mb),
    }
    before = await snapshot(svc)
    for who in case.callers:
        rpc = call(svc.channel_as(outsiders[who]), case.rpc)
        if case.kind == "read":
            await expect_error(rpc(case.request(world)), NOT_FOUND)
        elif case.kind == "list":
            assert case.target is not None and case.listed is not None
            assert case.target(world) not in case.listed(await rpc(case.request(world)))
        else:
            await expect_error(rpc(case.request(world)), DENIED)
    assert await snapshot(svc) == before
    if case.kind == "write":
        return
    for who in case.callers:  # the same request answered inside the scope: a real target
        answer = await call(svc.channel_as(insiders[who]), case.rpc)(case.request(world))
        if case.kind == "list":
            assert case.target is not None and case.listed is not None
            assert case.target(world) in case.listed(answer)


async def test_a_supervisor_sees_its_teams_data_and_an_agent_its_own(
    svc: Harness, world: World
) -> None:
    sb = svc.calling(caller_of(world.sb))
    team = await sb.territory.ListEmployees(ts.ListEmployeesRequest(page_size=1000))
    assert {e.id for e in team.employees} == {world.sb.id, world.b.id, world.tb.id}
    visits = await sb.visits.ListVisits(vs.ListVisitsRequest(page_size=1000))
    assert {v.id for v in visits.visits} == {world.visit_b.id}
    a = svc.calling(caller_of(world.a))
    outlets = await a.clients.ListOutlets(cs.ListOutletsRequest(page_size=1000))
    assert {o.id for o in outlets.outlets} == {world.outlet_a.id}
    plan = await a.territory.GetVisitPlan(ts.GetVisitPlanRequest(date=pb_date(MONDAY)))
    assert plan.agent_id == world.a.id and [v.outlet.id for v in plan.visits] == [world.outlet_a.id]
    me = await a.territory.GetEmployee(ts.GetEmployeeRequest(employee_id=world.a.id))
    assert me.employee.id == world.a.id
    tb = svc.calling(caller_of(world.tb))  # a teleseller: the outlets of its call lists
    outlets = await tb.clients.ListOutlets(cs.ListOutletsRequest(page_size=1000))
    assert {o.id for o in outlets.outlets} == {world.outlet_b.id}
    routes = await tb.territory.ListRoutes(ts.ListRoutesRequest(page_size=1000))
    assert {r.id for r in routes.routes} == {world.phone_b.id}
    assert (await tb.clients.GetClient(cs.GetClientRequest(client_id=world.client.id))).client.id
    calls = await sb.visits.ListCalls(vs.ListCallsRequest(page_size=1000))
    assert {c.id for c in calls.calls} == {world.call_b.id}
    for manager, audits in ((world.mb, {world.audit_b.id}), (world.ma, set())):
        listed = await svc.calling(caller_of(manager)).visits.ListAudits(
            vs.ListAuditsRequest(page_size=1000)
        )
        assert {a.id for a in listed.audits} == audits  # its distributor's audits, no others


# ------------------------------------------------------- who acts: the token, not the body
def naming(message: Message, number: int, value: str) -> Message:
    """`message` carrying, as an old client would send it, a removed string field `number`."""
    encoded = value.encode()
    message.MergeFromString(bytes([number << 3 | 2, len(encoded)]) + encoded)
    return message


async def test_a_body_still_naming_another_actor_changes_nothing(
    svc: Harness, world: World
) -> None:
    a, sb = svc.calling(caller_of(world.a)), svc.calling(caller_of(world.sb))
    proposal = (
        await a.clients.ProposeOutlet(
            naming(
                cs.ProposeOutletRequest(
                    request_id=new_id(),
                    proposal_id=new_id(),
                    outlet_id=new_id(),
                    client_id=world.client.id,
                    card=card(),
                ),
                2,  # actor_id
                world.b.id,
            )
        )
    ).proposal
    assert proposal.proposed_by == world.a.id
    history = await svc.clients.ListOutletCardHistory(
        cs.ListOutletCardHistoryRequest(outlet_id=proposal.outlet_id)
    )
    assert [c.changed_by for c in history.changes] == [world.a.id]

    visit = (
        await a.visits.CheckIn(
            naming(
                vs.CheckInRequest(
                    request_id=new_id(),
                    visit_id=new_id(),
                    outlet_id=world.outlet_a.id,
                    time=now(),
                ),
                3,  # agent_id
                world.b.id,
            )
        )
    ).visit
    assert visit.agent_id == world.a.id

    current = (await svc.clients.GetOutlet(cs.GetOutletRequest(outlet_id=world.outlet_b.id))).outlet
    changed = (
        await sb.clients.UpdateOutletCard(
            naming(
                cs.UpdateOutletCardRequest(
                    request_id=new_id(),
                    outlet_id=current.id,
                    expected_version=current.version,
                    card=pb.OutletCard(outlet_class="C"),
                    update_mask=field_mask_pb2.FieldMask(paths=["outlet_class"]),
                ),
                2,
                world.sa.id,
            )
        )
    ).outlet
    history = await svc.clients.ListOutletCardHistory(
        cs.ListOutletCardHistoryRequest(outlet_id=changed.id, page_size=1)
    )
    assert history.changes[0].changed_by == world.sb.id


async def test_the_service_does_not_start_without_token_keys(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """CLIENTS_AUTH_JWKS unset: there is no open mode, the service refuses to start."""
    with pytest.raises(SettingsError, match="CLIENTS_AUTH_JWKS is required"):
        async with harness(db_factory, nats_server.url, auth_jwks=""):
            pass


async def test_a_stored_answer_is_given_to_its_caller_only(svc: Harness, world: World) -> None:
    """B replays A's request_id and body (learnt, say, from a shared device): it is refused as a
    different request and learns nothing of A's answer; A's own retry gets its answer."""
    a, b = svc.calling(caller_of(world.a)), svc.calling(caller_of(world.b))
    request = cs.ProposeOutletRequest(
        request_id=new_id(),
        proposal_id=new_id(),
        outlet_id=new_id(),
        client_id=world.client.id,
        card=card(f"Точка A2 {new_id()}"),
    )
    first = await a.clients.ProposeOutlet(request)
    before = await snapshot(svc)
    await expect_error(
        b.clients.ProposeOutlet(request),
        grpc.StatusCode.INVALID_ARGUMENT,
        "request_id: was already used for a different request",
    )
    assert await snapshot(svc) == before
    assert await a.clients.ProposeOutlet(request) == first


# ------------------------------------------------------------------------- staleness
async def test_a_removed_role_and_a_deactivated_employee_are_refused_within_the_staleness_bound(
    svc: Harness,
) -> None:
    """The token still names the role, and is still valid: the employee's record decides, at
    most the directory's cache TTL after the change (the documented staleness in clients)."""
    bound = DIRECTORY_TTL_SECONDS + 1.0
    employee = await make_employee(svc, pb.ROLE_AGENT, pb.ROLE_SUPERVISOR)
    as_employee = svc.calling(caller_of(employee))
    # As a supervisor the call is admitted, and only the empty body is wrong.
    await expect_error(
        as_employee.clients.DecideProposal(cs.DecideProposalRequest()),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    demoted = pb.Employee()
    demoted.CopyFrom(employee)
    del demoted.roles[:]
    demoted.roles.append(pb.ROLE_AGENT)
    updated = await svc.territory.UpdateEmployee(
        ts.UpdateEmployeeRequest(request_id=new_id(), employee=demoted)
    )
    await refused_within(
        lambda: as_employee.clients.DecideProposal(cs.DecideProposalRequest()), DENIED, bound
    )
    # Its other role still works, with the same token.
    await as_employee.clients.ListOutlets(cs.ListOutletsRequest())

    dismissed = pb.Employee()
    dismissed.CopyFrom(updated.employee)
    dismissed.active = False
    await svc.territory.UpdateEmployee(
        ts.UpdateEmployeeRequest(request_id=new_id(), employee=dismissed)
    )
    await refused_within(
        lambda: as_employee.clients.ListOutlets(cs.ListOutletsRequest()), UNAUTHENTICATED, bound
    )
    await expect_error(
        as_employee.clients.ListOutlets(cs.ListOutletsRequest()), UNAUTHENTICATED, "not active"
    )
