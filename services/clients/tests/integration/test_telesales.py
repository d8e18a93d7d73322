"""Telesales over gRPC (docs/contexts/sales-gaps.md 3.2): routes of kind PHONE, calls, the call
plan. Access over roles and scopes is in test_auth (its table covers the new RPCs too)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
import pytest_asyncio
from google.protobuf import timestamp_pb2
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline_clients.adapters import orm
from fieldline_kit.auth import Kind
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import expect_error, new_id

from .builders import (
    caller_of,
    make_employee,
    make_outlet,
    make_route,
    pb_date,
    phone_call,
    put_on_route,
    stamp,
)
from .conftest import Harness, Stubs

INVALID = grpc.StatusCode.INVALID_ARGUMENT
DENIED = grpc.StatusCode.PERMISSION_DENIED
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
ZONE = ZoneInfo("Europe/Moscow")  # CLIENTS_TIMEZONE's default, the harness's


def weeks_ago(weeks: int) -> date:
    """The Monday `weeks` weeks before this week's (in the company's time zone)."""
    today = datetime.now(ZONE).date()
    return today - timedelta(days=today.isoweekday() - 1 + 7 * weeks)


def at(day: date, hour: int, minute: int = 0) -> timestamp_pb2.Timestamp:
    """`hour:minute` of `day` in the company's time zone."""
    return stamp(datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC))


async def calls_written(h: Harness) -> int:
    async with h.app.sessions() as s:
        return int((await s.execute(select(func.count()).select_from(orm.calls))).scalar_one())


@dataclass
class Desk:
    """A teleseller with a call list (a PHONE route) of one outlet, due on Mondays."""

    teleseller: pb.Employee
    route: pb.Route
    outlet: pb.Outlet
    as_teleseller: Stubs


async def desk(h: Harness, supervisor_id: str = "") -> Desk:
    teleseller = await make_employee(h, pb.ROLE_TELESELLER, supervisor_id=supervisor_id)
    route = await make_route(h, teleseller.id, pb.ROUTE_KIND_PHONE)
    outlet = await make_outlet(h)
    await put_on_route(h, route.id, outlet.id)
    return Desk(teleseller, route, outlet, h.calling(caller_of(teleseller)))


@pytest_asyncio.fixture
async def d(svc: Harness) -> Desk:
    return await desk(svc)


# ------------------------------------------------------------------------------- routes
async def test_a_route_has_a_kind_fixed_at_creation_answered_and_published(svc: Harness) -> None:
    agent = await make_employee(svc, pb.ROLE_AGENT)
    field_route = await make_route(svc, agent.id)
    assert field_route.kind == pb.ROUTE_KIND_FIELD  # UNSPECIFIED is read as FIELD
    teleseller = await make_employee(svc, pb.ROLE_TELESELLER)
    phone_route = await make_route(svc, teleseller.id, pb.ROUTE_KIND_PHONE)
    assert phone_route.kind == pb.ROUTE_KIND_PHONE
    got = await svc.territory.GetRoute(ts.GetRouteRequest(route_id=phone_route.id))
    assert got.route.kind == pb.ROUTE_KIND_PHONE
    [created] = await published(svc.js, "CLIENTS", about(phone_route.id), expect=1)
    assert created.message.route.kind == pb.ROUTE_KIND_PHONE  # type: ignore[attr-defined]


async def test_a_phone_route_is_a_telesellers_and_a_field_route_a_field_employees(
    svc: Harness,
) -> None:
    agent = await make_employee(svc, pb.ROLE_AGENT)
    teleseller = await make_employee(svc, pb.ROLE_TELESELLER)
    for employee, kind, needed in (
        (agent, pb.ROUTE_KIND_PHONE, "TELESELLER"),
        (teleseller, pb.ROUTE_KIND_FIELD, "AGENT, MERCHANDISER, VAN_SELLER"),
        (teleseller, pb.ROUTE_KIND_UNSPECIFIED, "AGENT, MERCHANDISER, VAN_SELLER"),
    ):
        route = pb.Route(id=new_id(), name="R", agent_id=employee.id, kind=kind)
        await expect_error(
            svc.territory.CreateRoute(ts.CreateRouteRequest(request_id=new_id(), route=route)),
            PRECONDITION,
            "route.agent_id: ",
            needed,
        )
        await expect_error(
            svc.territory.GetRoute(ts.GetRouteRequest(route_id=route.id)),
            grpc.StatusCode.NOT_FOUND,
        )
    await expect_error(
        svc.territory.CreateRoute(
            ts.CreateRouteRequest(
                request_id=new_id(),
                route=pb.Route(id=new_id(), name="R", agent_id=agent.id, kind=7),  # type: ignore[arg-type]
            )
        ),
        INVALID,
        "route.kind: ",
    )


async def test_a_phone_routes_agent_periods_name_telesellers_and_a_field_routes_agents(
    svc: Harness, d: Desk
) -> None:
    agent = await make_employee(svc, pb.ROLE_AGENT)
    field_route = await make_route(svc, agent.id)
    other = await make_employee(svc, pb.ROLE_TELESELLER)
    day = pb_date(date(2026, 11, 2))
    for route, employee in ((d.route, agent), (field_route, other)):
        await expect_error(
            svc.territory.ScheduleRouteAgents(
                ts.ScheduleRouteAgentsRequest(
                    request_id=new_id(),
                    periods=[
                        pb.RouteAgentPeriod(
                            route_id=route.id, employee_id=employee.id, valid_from=day
                        )
                    ],
                )
            ),
            INVALID,
            "periods[0].employee_id: ",
        )
    done = await svc.territory.ScheduleRouteAgents(
        ts.ScheduleRouteAgentsRequest(
            request_id=new_id(),
            periods=[
                pb.RouteAgentPeriod(route_id=d.route.id, employee_id=other.id, valid_from=day)
            ],
        )
    )
    [route] = done.routes
    assert (route.agent_id, route.kind) == (other.id, pb.ROUTE_KIND_PHONE)


async def test_assignments_say_their_routes_kind_in_answers_lists_and_events(
    svc: Harness, d: Desk
) -> None:
    outlet = await make_outlet(svc)
    put = await svc.territory.SetRouteAssignment(
        ts.SetRouteAssignmentRequest(
            request_id=new_id(),
            assignment=pb.RouteAssignment(
                route_id=d.route.id,
                outlet_id=outlet.id,
                frequency=pb.VISIT_FREQUENCY_WEEKLY,
                weekdays=[2],
                start_date=pb_date(date(2026, 11, 2)),
                route_kind=pb.ROUTE_KIND_FIELD,  # output only: ignored
            ),
        )
    )
    assert put.assignment.route_kind == pb.ROUTE_KIND_PHONE
    listed = await svc.territory.ListRouteAssignments(
        ts.ListRouteAssignmentsRequest(route_id=d.route.id)
    )
    assert {a.route_kind for a in listed.assignments} == {pb.ROUTE_KIND_PHONE}
    agent = await make_employee(svc, pb.ROLE_AGENT)
    await put_on_route(svc, (await make_route(svc, agent.id)).id, outlet.id)
    by_outlet = await svc.territory.ListRouteAssignments(
        ts.ListRouteAssignmentsRequest(outlet_id=outlet.id)
    )
    assert sorted(a.route_kind for a in by_outlet.assignments) == [
        pb.ROUTE_KIND_FIELD,
        pb.ROUTE_KIND_PHONE,
    ]
    changes = await published(svc.js, "CLIENTS", about(d.route.id), expect=3)
    assignment_changed = [e for e in changes if e.name == "RouteAssignmentChanged"]
    assert [e.message.assignment.route_kind for e in assignment_changed] == [  # type: ignore[attr-defined]
        pb.ROUTE_KIND_PHONE,
        pb.ROUTE_KIND_PHONE,
    ]


async def test_a_visit_plan_leaves_call_lists_out(svc: Harness) -> None:
    """An employee both visiting and calling: its visit plan holds its FIELD route's outlets."""
    both = await make_employee(svc, pb.ROLE_AGENT, pb.ROLE_TELESELLER)
    visited, called = await make_outlet(svc), await make_outlet(svc)
    await put_on_route(svc, (await make_route(svc, both.id)).id, visited.id)
    await put_on_route(
        svc, (await make_route(svc, both.id, pb.ROUTE_KIND_PHONE)).id, called.id, seq=0
    )
    plan = await svc.territory.GetVisitPlan(
        ts.GetVisitPlanRequest(agent_id=both.id, date=pb_date(date(2026, 11, 2)))
    )
    assert [v.outlet.id for v in plan.visits] == [visited.id]


# ---------------------------------------------------------------------------- RecordCall
async def test_a_teleseller_records_its_call_once_and_it_is_published(
    svc: Harness, d: Desk
) -> None:
    started = datetime.now(UTC) - timedelta(minutes=30)
    request = vs.RecordCallRequest(
        request_id=new_id(),
        call=phone_call(
            d.outlet.id,
            started_at=stamp(started),
            ended_at=stamp(started + timedelta(minutes=4)),
            outcome=pb.CALL_OUTCOME_CALL_BACK,
            call_back_at=stamp(started + timedelta(days=2)),
            notes="просили перезвонить после поставки",
        ),
    )
    recorded = (await d.as_teleseller.visits.RecordCall(request)).call
    assert recorded.teleseller_id == d.teleseller.id
    assert recorded.date == pb_date(started.astimezone(ZONE).date())
    assert recorded.outcome == pb.CALL_OUTCOME_CALL_BACK
    assert recorded.record_time.seconds > 0
    [event] = await published(svc.js, "CLIENTS", about(recorded.id), expect=1)
    assert event.name == "CallRecorded" and event.message.call == recorded  # type: ignore[attr-defined]
    # The same call again, under another request id (a device's retry): the call as it is.
    again = vs.RecordCallRequest(request_id=new_id(), call=request.call)
    assert (await d.as_teleseller.visits.RecordCall(again)).call == recorded
    # Other content under its id: ALREADY_EXISTS.
    other = vs.RecordCallRequest(request_id=new_id(), call=request.call)
    other.call.notes = "другое"
    before = await calls_written(svc)
    await expect_error(
        d.as_teleseller.visits.RecordCall(other), grpc.StatusCode.ALREADY_EXISTS, recorded.id
    )
    assert await calls_written(svc) == before
    got = await d.as_teleseller.visits.GetCall(vs.GetCallRequest(call_id=recorded.id))
    assert got.call == recorded


async def test_copies_of_one_call_racing_record_it_once_and_count_it_once(
    svc: Harness, d: Desk
) -> None:
    """Four copies of one call under four request ids at once (a device retrying over a slow
    link): one row, one CallRecorded, each copy answered with the call; the calls counter
    moves by one."""

    def counted() -> float:
        labels = {"outcome": "no_answer"}
        return REGISTRY.get_sample_value("fieldline_clients_calls_total", labels) or 0.0

    before = counted()
    call = phone_call(d.outlet.id)
    replies = await asyncio.gather(
        *(
            d.as_teleseller.visits.RecordCall(vs.RecordCallRequest(request_id=new_id(), call=call))
            for _ in range(4)
        )
    )
    assert len({r.call.SerializeToString(deterministic=True) for r in replies}) == 1
    events = await published(svc.js, "CLIENTS", about(call.id), expect=1)
    assert [e.name for e in events] == ["CallRecorded"]
    async with svc.app.sessions() as s:
        count = select(func.count()).select_from(orm.calls).where(orm.calls.c.id == call.id)
        assert (await s.execute(count)).scalar_one() == 1
    assert counted() == before + 1


BAD_CALLS: list[tuple[str, Callable[[pb.Call], None], str]] = [
    ("no id", lambda c: c.ClearField("id"), "call.id: "),
    ("id not a uuid", lambda c: setattr(c, "id", "call-1"), "call.id: "),
    ("no outlet", lambda c: c.ClearField("outlet_id"), "call.outlet_id: "),
    ("no start", lambda c: c.ClearField("started_at"), "call.started_at: "),
    (
        "start 61 minutes ahead",
        lambda c: c.started_at.FromDatetime(datetime.now(UTC) + timedelta(minutes=61)),
        "call.started_at: ",
    ),
    (
        "end before start",
        lambda c: c.ended_at.FromSeconds(c.started_at.seconds - 1),
        "call.ended_at: ",
    ),
    (
        "end 61 minutes ahead",
        lambda c: c.ended_at.FromDatetime(datetime.now(UTC) + timedelta(minutes=61)),
        "call.ended_at: ",
    ),
    ("no outcome", lambda c: c.ClearField("outcome"), "call.outcome: "),
    ("unknown outcome", lambda c: setattr(c, "outcome", 9), "call.outcome: "),
    (
        "call-back without a time",
        lambda c: setattr(c, "outcome", pb.CALL_OUTCOME_CALL_BACK),
        "call.call_back_at: ",
    ),
    (
        "call-back beyond 30 days",
        lambda c: (
            setattr(c, "outcome", pb.CALL_OUTCOME_CALL_BACK),
            c.call_back_at.FromSeconds(c.started_at.seconds + 30 * 86400 + 1),
        ),
        "call.call_back_at: ",
    ),
    (
        "call-back before the start",
        lambda c: (
            setattr(c, "outcome", pb.CALL_OUTCOME_CALL_BACK),
            c.call_back_at.FromSeconds(c.started_at.seconds - 60),
        ),
        "call.call_back_at: ",
    ),
    (
        "call-back time on an answered call",
        lambda c: c.call_back_at.FromSeconds(c.started_at.seconds + 3600),
        "call.call_back_at: ",
    ),
    (
        "refusal without a reason",
        lambda c: setattr(c, "outcome", pb.CALL_OUTCOME_REFUSED),
        "call.reason: ",
    ),
    ("reason too long", lambda c: setattr(c, "reason", "x" * 1001), "call.reason: "),
    ("notes too long", lambda c: setattr(c, "notes", "x" * 2001), "call.notes: "),
    ("bad date", lambda c: setattr(c.date, "month", 13), "call.date"),
]


@pytest.mark.parametrize(("what", "spoil", "field"), BAD_CALLS, ids=[b[0] for b in BAD_CALLS])
async def test_a_bad_call_is_refused_naming_its_field_and_nothing_is_written(
    svc: Harness, d: Desk, what: str, spoil: Callable[[pb.Call], None], field: str
) -> None:
    call = phone_call(d.outlet.id)
    spoil(call)
    before = await calls_written(svc)
    await expect_error(
        d.as_teleseller.visits.RecordCall(vs.RecordCallRequest(request_id=new_id(), call=call)),
        INVALID,
        field,
    )
    assert await calls_written(svc) == before


async def test_only_the_outlets_of_its_phone_routes_are_called_and_only_active_ones(
    svc: Harness, d: Desk
) -> None:
    """Not on a PHONE route of the caller: an outlet of another teleseller's call list, of its
    own FIELD route, of no route, none at all; or on its list but closed: PERMISSION_DENIED
    naming `call.outlet_id`, nothing written."""
    both = await make_employee(svc, pb.ROLE_AGENT, pb.ROLE_TELESELLER)
    as_both = svc.calling(caller_of(both))
    own_field = await make_outlet(svc)
    await put_on_route(svc, (await make_route(svc, both.id)).id, own_field.id)
    mine = await make_outlet(svc)
    await put_on_route(svc, (await make_route(svc, both.id, pb.ROUTE_KIND_PHONE)).id, mine.id)
    await svc.clients.SetOutletStatus(
        cs.SetOutletStatusRequest(
            request_id=new_id(),
            outlet_id=mine.id,
            expected_version=mine.version,
            status=pb.OUTLET_STATUS_CLOSED,
        )
    )
    loose = await make_outlet(svc)
    before = await calls_written(svc)
    for outlet_id in (d.outlet.id, own_field.id, loose.id, new_id(), mine.id):
        await expect_error(
            as_both.visits.RecordCall(
                vs.RecordCallRequest(request_id=new_id(), call=phone_call(outlet_id))
            ),
            DENIED,
            f"call.outlet_id: outlet {outlet_id}",
        )
    assert await calls_written(svc) == before


async def test_admin_and_service_record_a_named_telesellers_call(svc: Harness, d: Desk) -> None:
    service = svc.calling(Caller("svc:console", {"SERVICE"}, Kind.SERVICE))
    await expect_error(
        service.visits.RecordCall(
            vs.RecordCallRequest(request_id=new_id(), call=phone_call(d.outlet.id))
        ),
        INVALID,
        "for_teleseller_id: is required",
    )
    made = await service.visits.RecordCall(
        vs.RecordCallRequest(
            request_id=new_id(), call=phone_call(d.outlet.id), for_teleseller_id=d.teleseller.id
        )
    )
    assert made.call.teleseller_id == d.teleseller.id
    agent = await make_employee(svc, pb.ROLE_AGENT)
    await expect_error(
        svc.visits.RecordCall(
            vs.RecordCallRequest(
                request_id=new_id(), call=phone_call(d.outlet.id), for_teleseller_id=agent.id
            )
        ),
        DENIED,
        "TELESELLER",
    )
    await expect_error(
        svc.visits.RecordCall(
            vs.RecordCallRequest(
                request_id=new_id(), call=phone_call(d.outlet.id), for_teleseller_id=new_id()
            )
        ),
        grpc.StatusCode.NOT_FOUND,
        "for_teleseller_id: ",
    )
    # The teleseller names another: refused, as visits are.
    await expect_error(
        d.as_teleseller.visits.RecordCall(
            vs.RecordCallRequest(
                request_id=new_id(), call=phone_call(d.outlet.id), for_teleseller_id=agent.id
            )
        ),
        DENIED,
        "for_teleseller_id: an employee records its own calls only",
    )


# ------------------------------------------------------------------ GetCall, ListCalls
async def test_calls_are_listed_by_teleseller_outlet_and_days_page_by_page(
    svc: Harness, d: Desk
) -> None:
    second = await make_outlet(svc)
    await put_on_route(svc, d.route.id, second.id)
    monday = weeks_ago(3)
    made = []
    for offset, outlet in ((0, d.outlet), (1, d.outlet), (2, second)):
        day = monday + timedelta(days=offset)
        call = phone_call(outlet.id, started_at=at(day, 10), date=pb_date(day))
        reply = await d.as_teleseller.visits.RecordCall(
            vs.RecordCallRequest(request_id=new_id(), call=call)
        )
        made.append(reply.call)
    other = await desk(svc)
    await other.as_teleseller.visits.RecordCall(
        vs.RecordCallRequest(request_id=new_id(), call=phone_call(other.outlet.id))
    )

    async def listed(**kw: object) -> list[str]:
        out, token = [], ""
        while True:
            page = await svc.visits.ListCalls(
                vs.ListCallsRequest(page_size=1, page_token=token, **kw)  # type: ignore[arg-type]
            )
            out += [c.id for c in page.calls]
            token = page.next_page_token
            if not token:
                return out

    assert await listed(teleseller_id=d.teleseller.id) == sorted(c.id for c in made)
    assert sorted(await listed(outlet_id=d.outlet.id)) == sorted(c.id for c in made[:2])
    assert await listed(
        teleseller_id=d.teleseller.id,
        from_date=pb_date(monday + timedelta(days=1)),
        to_date=pb_date(monday + timedelta(days=1)),
    ) == [made[1].id]
    await expect_error(
        svc.visits.ListCalls(
            vs.ListCallsRequest(
                from_date=pb_date(monday), to_date=pb_date(monday - timedelta(days=1))
            )
        ),
        INVALID,
        "to_date: ",
    )
    await expect_error(
        svc.visits.ListCalls(vs.ListCallsRequest(outlet_id="x")), INVALID, "outlet_id: "
    )
    await expect_error(
        svc.visits.GetCall(vs.GetCallRequest(call_id=new_id())),
        grpc.StatusCode.NOT_FOUND,
        "call_id: ",
    )
    await expect_error(svc.visits.GetCall(vs.GetCallRequest()), INVALID, "call_id: ")


# ------------------------------------------------------------------------ GetCallPlan
async def test_a_call_day_lists_due_and_call_back_outlets_with_states_and_completion(
    svc: Harness,
) -> None:
    """A week of a teleseller's: Monday's calls, then Wednesday's plan, as 3.2's tables say."""
    supervisor = await make_employee(svc, pb.ROLE_SUPERVISOR)
    d = await desk(svc, supervisor.id)
    monday = weeks_ago(2)
    wednesday = monday + timedelta(days=2)
    route = d.route.id
    due = [await make_outlet(svc) for _ in range(4)]
    for seq, outlet in enumerate(due, start=1):
        await put_on_route(svc, route, outlet.id, [3], seq, monday)
    asked = d.outlet  # on the list for Mondays only: asked on Monday to be called on Wednesday
    await put_on_route(svc, route, asked.id, [1], 0, monday)
    unlisted = await make_outlet(svc)
    await put_on_route(svc, route, unlisted.id, [5], 0, monday)  # Fridays

    async def record(
        outlet: pb.Outlet, day: date, hour: int, outcome: int, **kw: object
    ) -> pb.Call:
        call = phone_call(
            outlet.id, started_at=at(day, hour), date=pb_date(day), outcome=outcome, **kw
        )
        reply = await d.as_teleseller.visits.RecordCall(
            vs.RecordCallRequest(request_id=new_id(), call=call)
        )
        return reply.call

    call_back = await record(
        asked, monday, 10, pb.CALL_OUTCOME_CALL_BACK, call_back_at=at(wednesday, 15)
    )
    ordered_after_no_answer = [
        await record(due[0], wednesday, 9, pb.CALL_OUTCOME_NO_ANSWER),
        await record(due[0], wednesday, 11, pb.CALL_OUTCOME_ORDERED),
    ]
    await record(due[1], wednesday, 9, pb.CALL_OUTCOME_REFUSED, reason="дорого")
    await record(due[2], wednesday, 10, pb.CALL_OUTCOME_CALL_BACK, call_back_at=at(wednesday, 17))
    unplanned = await record(unlisted, wednesday, 12, pb.CALL_OUTCOME_NO_ANSWER)

    plan = await d.as_teleseller.territory.GetCallPlan(
        ts.GetCallPlanRequest(date=pb_date(wednesday))
    )
    assert plan.teleseller_id == d.teleseller.id and plan.date == pb_date(wednesday)
    assert [(p.outlet.id, p.sequence, p.scheduled) for p in plan.calls] == [
        (asked.id, 0, False),
        (due[0].id, 1, True),
        (due[1].id, 2, True),
        (due[2].id, 3, True),
        (due[3].id, 4, True),
    ]
    assert [p.state for p in plan.calls] == [
        ts.CALL_STATE_OPEN,  # not called back yet
        ts.CALL_STATE_DONE,  # ordered after no answer
        ts.CALL_STATE_DONE,  # refused
        ts.CALL_STATE_OPEN,  # to call back later that day
        ts.CALL_STATE_OPEN,  # not called
    ]
    assert plan.calls[0].call_back_of == call_back
    assert list(plan.calls[1].calls) == ordered_after_no_answer
    assert all(p.route_id == route for p in plan.calls)
    assert plan.calls[0].outlet == asked  # the stored outlet, as GetOutlet answers it
    assert (
        ts.CallPlanCompletion(listed=5, done=2, not_called=2, ordered=1, refused=1, call_back=1)
        == plan.completion
    )
    assert list(plan.unplanned_calls) == [unplanned]
    # Its supervisor and ADMIN see the same plan; Monday's plan lists the Monday outlet only.
    as_supervisor = svc.calling(caller_of(supervisor))
    assert (
        await as_supervisor.territory.GetCallPlan(
            ts.GetCallPlanRequest(teleseller_id=d.teleseller.id, date=pb_date(wednesday))
        )
        == plan
    )
    monday_plan = await svc.territory.GetCallPlan(
        ts.GetCallPlanRequest(teleseller_id=d.teleseller.id, date=pb_date(monday))
    )
    assert [p.outlet.id for p in monday_plan.calls] == [asked.id]
    assert monday_plan.completion == ts.CallPlanCompletion(listed=1, done=1, call_back=1)


async def test_a_call_plan_names_its_bad_input(svc: Harness, d: Desk) -> None:
    day = pb_date(date(2026, 11, 2))
    await expect_error(
        svc.territory.GetCallPlan(ts.GetCallPlanRequest(teleseller_id=d.teleseller.id)),
        INVALID,
        "date: ",
    )
    await expect_error(
        svc.territory.GetCallPlan(ts.GetCallPlanRequest(teleseller_id="t", date=day)),
        INVALID,
        "teleseller_id: ",
    )
    await expect_error(
        svc.territory.GetCallPlan(ts.GetCallPlanRequest(teleseller_id=new_id(), date=day)),
        grpc.StatusCode.NOT_FOUND,
        "teleseller_id: ",
    )
    supervisor = svc.calling(caller_of(await make_employee(svc, pb.ROLE_SUPERVISOR)))
    empty = await supervisor.territory.GetCallPlan(ts.GetCallPlanRequest(date=day))  # its own
    assert list(empty.calls) == [] and empty.completion == ts.CallPlanCompletion()
