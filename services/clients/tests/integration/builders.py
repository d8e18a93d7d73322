"""Test data made through the public gRPC API, with unique ids per call."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta

from google.protobuf import timestamp_pb2
from google.type import date_pb2, latlng_pb2

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline.clients.v1 import visits_service_pb2_grpc as vs_grpc
from fieldline_clients.domain.taxid import inn_with_check_digits
from fieldline_kit.auth import Kind
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.helpers import new_id

from .conftest import Harness

_counter = itertools.count(1)


def random_inn() -> str:
    return inn_with_check_digits("77" + "".join(random.choice("0123456789") for _ in range(7)))


def pb_date(d: date) -> date_pb2.Date:
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


def stamp(dt: datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(dt)
    return out


def card(name: str = "", lat: float = 55.75, lon: float = 37.62, **kw: object) -> pb.OutletCard:
    return pb.OutletCard(
        name=name or f"Магазин «Ромашка» №{next(_counter)}",
        address="Москва, ул. Тверская, д. 1",
        location=latlng_pb2.LatLng(latitude=lat, longitude=lon),
        channel="traditional trade",
        format="minimarket",
        outlet_class="B",
        **kw,  # type: ignore[arg-type]
    )


async def make_client(h: Harness, name: str = "", **kw: object) -> pb.Client:
    client = pb.Client(
        id=new_id(),
        name=name or f"ООО «Торговый дом {next(_counter)}»",
        inn=random_inn(),
        kpp="770101001",
        type=pb.CLIENT_TYPE_RETAIL,
        legal_address="Москва",
    )
    for k, v in kw.items():
        setattr(client, k, v)
    reply = await h.clients.CreateClient(cs.CreateClientRequest(request_id=new_id(), client=client))
    return reply.client


async def make_outlet(
    h: Harness, client_id: str = "", outlet_card: pb.OutletCard | None = None
) -> pb.Outlet:
    if not client_id:
        client_id = (await make_client(h)).id
    reply = await h.clients.CreateOutlet(
        cs.CreateOutletRequest(
            request_id=new_id(),
            outlet=pb.Outlet(id=new_id(), client_id=client_id, card=outlet_card or card()),
        )
    )
    return reply.outlet


async def make_employee(h: Harness, *roles: int, **kw: object) -> pb.Employee:
    employee = pb.Employee(
        id=new_id(),
        full_name=f"Иванов Иван №{next(_counter)}",
        roles=list(roles or [pb.ROLE_AGENT]),
    )
    for k, v in kw.items():
        setattr(employee, k, v)
    reply = await h.territory.CreateEmployee(
        ts.CreateEmployeeRequest(request_id=new_id(), employee=employee)
    )
    return reply.employee


async def make_route(
    h: Harness, agent_id: str, kind: pb.RouteKind.ValueType = pb.ROUTE_KIND_UNSPECIFIED
) -> pb.Route:
    """A route of `agent_id`; `kind` PHONE: a teleseller's call list."""
    reply = await h.territory.CreateRoute(
        ts.CreateRouteRequest(
            request_id=new_id(),
            route=pb.Route(id=new_id(), name="Маршрут 1", agent_id=agent_id, kind=kind),
        )
    )
    return reply.route


def phone_call(outlet_id: str, **kw: object) -> pb.Call:
    """A call to `outlet_id` that started five minutes ago and was not answered (`kw`: fields)."""
    started = datetime.now(UTC) - timedelta(minutes=5)
    call = pb.Call(
        id=new_id(),
        outlet_id=outlet_id,
        started_at=stamp(started),
        outcome=pb.CALL_OUTCOME_NO_ANSWER,
    )
    for k, v in kw.items():
        field = getattr(call, k)
        if hasattr(field, "CopyFrom"):
            field.CopyFrom(v)
        else:
            setattr(call, k, v)
    return call


async def make_questionnaire(
    h: Harness, *questions: pb.Question, name: str = "Полка", **kw: object
) -> pb.Questionnaire:
    """A questionnaire of `questions` (by default one optional number, the facings)."""
    questionnaire = pb.Questionnaire(
        id=new_id(),
        name=name,
        questions=list(questions)
        or [pb.Question(id="facings", text="Фейсинги", type=pb.QUESTION_TYPE_NUMBER)],
        **kw,  # type: ignore[arg-type]
    )
    reply = await h.visits.CreateQuestionnaire(
        vs.CreateQuestionnaireRequest(request_id=new_id(), questionnaire=questionnaire)
    )
    return reply.questionnaire


async def checked_in_merchandiser(h: Harness) -> tuple[vs_grpc.VisitsServiceStub, str]:
    """A new merchandiser's visits stub, and a visit it checked in to now at an outlet of its
    route."""
    agent = await make_employee(h, pb.ROLE_MERCHANDISER)
    outlet = await make_outlet(h)
    await put_on_route(h, (await make_route(h, agent.id)).id, outlet.id)
    visits = h.calling(caller_of(agent)).visits
    visit_id = new_id()
    await visits.CheckIn(
        vs.CheckInRequest(
            request_id=new_id(),
            visit_id=visit_id,
            outlet_id=outlet.id,
            time=stamp(datetime.now(UTC)),
        )
    )
    return visits, visit_id


def audit_request(visit_id: str, questionnaire_id: str, **audit: object) -> vs.SubmitAuditRequest:
    """An audit of the visit answering `make_questionnaire`'s default question (`audit`: more
    fields)."""
    return vs.SubmitAuditRequest(
        request_id=new_id(),
        audit=pb.Audit(
            id=new_id(),
            visit_id=visit_id,
            questionnaire_id=questionnaire_id,
            answers=[pb.Answer(question_id="facings", number="4")],
            **audit,  # type: ignore[arg-type]
        ),
    )


def caller_of(employee: pb.Employee) -> Caller:
    """`employee` calling with the roles it holds (the token's names: the enum's without ROLE_)."""
    roles = {pb.Role.Name(r).removeprefix("ROLE_") for r in employee.roles}
    return Caller(employee.id, roles, Kind.EMPLOYEE)


async def put_on_route(
    h: Harness,
    route_id: str,
    outlet_id: str,
    weekdays: list[int] | None = None,
    seq: int = 0,
    start: date = date(2026, 11, 2),
) -> None:
    """The outlet on the route, weekly from `start` (2026-11-02, a Monday), on `weekdays`
    (Monday)."""
    await h.territory.SetRouteAssignment(
        ts.SetRouteAssignmentRequest(
            request_id=new_id(),
            assignment=pb.RouteAssignment(
                route_id=route_id,
                outlet_id=outlet_id,
                frequency=pb.VISIT_FREQUENCY_WEEKLY,
                weekdays=weekdays or [1],
                start_date=pb_date(start),
                sequence=seq,
            ),
        )
    )
