"""Who works a route by date: ScheduleRouteAgents, ListRouteAgentPeriods, routes by the ERP's
id, and the daily roll-over, over gRPC against a real database and NATS.

The service runs with a fast roll-over loop (CLIENTS_ROUTE_AGENTS_SWEEP_SECONDS=0.05) on a
clock the test sets (`app.clock`, as other tests drive the service's time); its date is the
one in CLIENTS_TIMEZONE (Europe/Moscow, UTC+3). Each test starts on 2026-12-01 with every
route already following its periods on that day.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline_clients.adapters import orm
from fieldline_clients.entrypoints.route_agents_rollover import roll_over
from fieldline_kit.external_ids import employee_id, route_id
from fieldline_kit.testing.auth import service_caller
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import eventually_value, expect_error, new_id
from fieldline_kit.testing.nats_server import EmbeddedNats

from .builders import make_employee, make_outlet, make_route, pb_date, put_on_route
from .conftest import Harness, harness

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
CREATED, UPDATED, UNCHANGED = (
    cs.UPSERT_OUTCOME_CREATED,
    cs.UPSERT_OUTCOME_UPDATED,
    cs.UPSERT_OUTCOME_UNCHANGED,
)
EXCHANGE = service_caller("exchange")
DEC_1 = date(2026, 12, 1)


def moscow(day: date, hour: int = 12) -> datetime:
    """`hour` o'clock in Moscow (UTC+3) on `day`, as the service's clock gives it (UTC)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - 3)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest_asyncio.fixture(scope="module")
async def svc(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[Harness]:
    async with harness(db_factory, nats_server.url, route_agents_sweep_seconds=0.05) as h:
        yield h


@pytest_asyncio.fixture
async def clock(svc: Harness) -> AsyncIterator[Clock]:
    """The service's clock, at noon in Moscow on 2026-12-01; every route follows its periods
    on that day before the test starts (so the loop has nothing left to do for it)."""
    saved = svc.app.clock
    clock = Clock(moscow(DEC_1))
    svc.app.clock = clock
    await roll_over(svc.app, svc.app.today())
    yield clock
    svc.app.clock = saved


def period(
    route: str = "",
    employee: str = "",
    start: date | None = DEC_1,
    end: date | None = None,
    **kw: str,
) -> pb.RouteAgentPeriod:
    p = pb.RouteAgentPeriod(route_id=route, employee_id=employee, **kw)
    if start is not None:
        p.valid_from.CopyFrom(pb_date(start))
    if end is not None:
        p.valid_to.CopyFrom(pb_date(end))
    return p


def schedule(*periods: pb.RouteAgentPeriod, request_id: str = "") -> ts.ScheduleRouteAgentsRequest:
    return ts.ScheduleRouteAgentsRequest(request_id=request_id or new_id(), periods=list(periods))


async def rows(h: Harness) -> dict[str, int]:
    """Rows of the tables a schedule writes, and of the outbox (one per event)."""
    async with h.app.sessions() as s:
        return {
            t.name: int((await s.execute(select(func.count()).select_from(t))).scalar_one())
            for t in (orm.route_agent_periods, orm.routes, orm.kit.outbox)
        }


async def events_of(h: Harness, aggregate_id: str) -> list[str]:
    o = orm.kit.outbox
    async with h.app.sessions() as s:
        stmt = select(o.c.subject).where(o.c.aggregate_id == aggregate_id).order_by(o.c.id)
        return [subject.rsplit(".", 1)[-1] for subject in (await s.execute(stmt)).scalars()]


async def agent_of(h: Harness, route: str) -> str:
    return (await h.territory.GetRoute(ts.GetRouteRequest(route_id=route))).route.agent_id


async def periods_of(h: Harness, route: str, **kw: object) -> list[tuple[str, date, date | None]]:
    reply = await h.territory.ListRouteAgentPeriods(
        ts.ListRouteAgentPeriodsRequest(route_id=route, **kw)  # type: ignore[arg-type]
    )
    return [
        (
            p.employee_id,
            date(p.valid_from.year, p.valid_from.month, p.valid_from.day),
            date(p.valid_to.year, p.valid_to.month, p.valid_to.day)
            if p.HasField("valid_to")
            else None,
        )
        for p in reply.periods
    ]


async def plan_outlets(h: Harness, agent: str, day: date) -> list[str]:
    reply = await h.territory.GetVisitPlan(
        ts.GetVisitPlanRequest(agent_id=agent, date=pb_date(day))
    )
    return [v.outlet.id for v in reply.visits]


# ------------------------------------------------------------------------ scheduling
async def test_a_period_in_force_today_moves_the_route_at_once(svc: Harness, clock: Clock) -> None:
    a, b = await make_employee(svc), await make_employee(svc, pb.ROLE_VAN_SELLER)
    route = await make_route(svc, a.id)
    reply = await svc.calling(EXCHANGE).territory.ScheduleRouteAgents(
        schedule(period(route.id, b.id, DEC_1 - timedelta(days=5), DEC_1 + timedelta(days=30)))
    )
    assert list(reply.outcomes) == [CREATED]
    [stored] = reply.periods
    assert (stored.route_id, stored.employee_id) == (route.id, b.id)
    assert (stored.route_external_id, stored.employee_external_id) == ("", "")
    [moved] = reply.routes
    assert (moved.id, moved.agent_id, moved.version) == (route.id, b.id, 2)
    assert await agent_of(svc, route.id) == b.id
    assert await periods_of(svc, route.id) == [
        (b.id, DEC_1 - timedelta(days=5), DEC_1 + timedelta(days=30))
    ]
    events = await published(svc.js, "CLIENTS", about(route.id), expect=2)
    assert [e.name for e in events] == ["RouteChanged", "RouteChanged"]
    change = events[1].message
    assert (change.route.agent_id, change.previous_agent_id) == (b.id, a.id)  # type: ignore[attr-defined]
    assert events[1].envelope.aggregate_version == 2


async def test_the_agent_switches_on_the_periods_start_day_and_back_after_its_end(
    svc: Harness, clock: Clock
) -> None:
    """A's year, B's holiday cover on 2–3 December: the roll-over moves the route on the
    morning of the 2nd (Moscow time), and back to A on the 4th; the visit plans follow."""
    a, b = await make_employee(svc), await make_employee(svc)
    route = await make_route(svc, a.id)
    outlet = await make_outlet(svc)
    await put_on_route(svc, route.id, outlet.id, weekdays=[1, 2, 3, 4, 5, 6, 7])
    dec_2, dec_3, dec_4 = (DEC_1 + timedelta(days=n) for n in (1, 2, 3))
    reply = await svc.territory.ScheduleRouteAgents(
        schedule(
            period(route.id, a.id, date(2026, 11, 1)),
            period(route.id, b.id, dec_2, dec_3),
        )
    )
    assert [r.agent_id for r in reply.routes] == [a.id]  # B's days have not come yet
    assert await plan_outlets(svc, a.id, dec_2) == [outlet.id]  # now cached
    before = await events_of(svc, route.id)

    clock.now = moscow(DEC_1, 23)  # still the 1st in Moscow (20:00 UTC)
    await eventually_value(lambda: agent_of(svc, route.id), lambda agent: agent == b.id, within=0.5)
    assert await agent_of(svc, route.id) == a.id

    clock.now = moscow(dec_2, 0) + timedelta(minutes=30)  # 21:30 UTC on the 1st
    moved = await eventually_value(lambda: agent_of(svc, route.id), lambda agent: agent == b.id)
    assert moved == b.id
    assert await events_of(svc, route.id) == [*before, "RouteChanged"]
    events = await published(svc.js, "CLIENTS", about(route.id), expect=len(before) + 1)
    change = events[-1].message
    assert (change.route.agent_id, change.previous_agent_id) == (b.id, a.id)  # type: ignore[attr-defined]
    assert await plan_outlets(svc, a.id, dec_2) == []  # the cached plan was dropped
    assert await plan_outlets(svc, b.id, dec_2) == [outlet.id]

    clock.now = moscow(dec_3, 18)
    await eventually_value(lambda: agent_of(svc, route.id), lambda agent: agent == a.id, within=0.5)
    assert await agent_of(svc, route.id) == b.id  # the 3rd is still B's (inclusive)

    clock.now = moscow(dec_4, 6)
    back = await eventually_value(lambda: agent_of(svc, route.id), lambda agent: agent == a.id)
    assert back == a.id
    assert await events_of(svc, route.id) == [*before, "RouteChanged", "RouteChanged"]
    assert await plan_outlets(svc, a.id, dec_4) == [outlet.id]


async def test_today_is_the_date_in_the_companys_time_zone(svc: Harness, clock: Clock) -> None:
    a, b = await make_employee(svc), await make_employee(svc)
    route = await make_route(svc, a.id)
    dec_2 = DEC_1 + timedelta(days=1)
    clock.now = moscow(dec_2, 1)  # 22:00 UTC on the 1st: the 2nd in Moscow
    reply = await svc.territory.ScheduleRouteAgents(schedule(period(route.id, b.id, dec_2)))
    assert [r.agent_id for r in reply.routes] == [b.id]


async def test_routes_and_employees_by_the_erps_ids(svc: Harness, clock: Clock) -> None:
    a = await make_employee(svc)
    route_key = f"MSK-NORTH-{new_id()}"
    made = await svc.territory.CreateRoute(
        ts.CreateRouteRequest(
            request_id=new_id(),
            route=pb.Route(name="Север-3", agent_id=a.id, external_id=f" {route_key} "),
        )
    )
    assert (made.route.id, made.route.external_id) == (route_id(route_key), route_key)
    employee_key = f"EMP-{new_id()}"
    await svc.territory.UpsertEmployees(
        ts.UpsertEmployeesRequest(
            request_id=new_id(),
            employees=[
                ts.EmployeeUpsert(
                    external_id=employee_key, full_name="Иван", roles=[pb.ROLE_AGENT], active=True
                )
            ],
        )
    )
    reply = await svc.calling(EXCHANGE).territory.ScheduleRouteAgents(
        schedule(
            period(route_external_id=route_key, employee_external_id=employee_key),
            # as the exchange names them: the ids it derives itself
            period(route_id(route_key), employee_id(employee_key), DEC_1 + timedelta(days=9)),
        )
    )
    assert list(reply.outcomes) == [CREATED, CREATED]
    assert [(p.route_id, p.employee_id) for p in reply.periods] == [
        (route_id(route_key), employee_id(employee_key))
    ] * 2
    assert [r.agent_id for r in reply.routes] == [employee_id(employee_key)]
    got = await svc.territory.GetRoute(ts.GetRouteRequest(route_id=route_id(route_key)))
    assert got.route.external_id == route_key


async def test_a_route_made_with_an_external_id_has_the_id_derived_from_it(
    svc: Harness, clock: Clock
) -> None:
    a = await make_employee(svc)
    key = f"R-{new_id()}"
    request = ts.CreateRouteRequest(
        request_id=new_id(),
        route=pb.Route(id=route_id(key), name="Юг", agent_id=a.id, external_id=key),
    )
    made = await svc.territory.CreateRoute(request)
    again = await svc.territory.CreateRoute(
        ts.CreateRouteRequest(request_id=new_id(), route=request.route)
    )
    assert again.route == made.route  # made again: found, not made twice
    await expect_error(
        svc.territory.CreateRoute(
            ts.CreateRouteRequest(
                request_id=new_id(),
                route=pb.Route(id=new_id(), name="Юг", agent_id=a.id, external_id=key),
            )
        ),
        INVALID,
        f"route.id: a route with an external id has the id derived from it ({route_id(key)})",
    )
    plain = await make_route(svc, a.id)
    assert plain.external_id == ""


async def test_a_retry_under_the_same_request_id_answers_the_same_and_writes_nothing(
    svc: Harness, clock: Clock
) -> None:
    a, b = await make_employee(svc), await make_employee(svc)
    route = await make_route(svc, a.id)
    request = schedule(period(route.id, b.id), period(route.id, a.id, DEC_1 + timedelta(days=7)))
    first = await svc.territory.ScheduleRouteAgents(request)
    before = await rows(svc)
    again = await svc.territory.ScheduleRouteAgents(request)
    assert again == first
    assert await rows(svc) == before


async def test_the_same_periods_again_change_nothing_and_a_start_day_sent_again_replaces(
    svc: Harness, clock: Clock
) -> None:
    a, b, c = [await make_employee(svc) for _ in range(3)]
    route = await make_route(svc, a.id)
    batch = (period(route.id, b.id, end=DEC_1 + timedelta(days=10)),)
    first = await svc.territory.ScheduleRouteAgents(schedule(*batch))
    before = await rows(svc)
    again = await svc.territory.ScheduleRouteAgents(schedule(*batch))
    assert list(again.outcomes) == [UNCHANGED]
    assert list(again.routes) == list(first.routes)  # the route as it was: no new version
    assert await rows(svc) == before
    assert await events_of(svc, route.id) == ["RouteChanged", "RouteChanged"]
    replaced = await svc.territory.ScheduleRouteAgents(schedule(period(route.id, c.id)))
    assert list(replaced.outcomes) == [UPDATED]
    assert await periods_of(svc, route.id) == [(c.id, DEC_1, None)]
    assert [(r.agent_id, r.version) for r in replaced.routes] == [(c.id, 3)]


# ----------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("bad", "named"),
    [
        (
            lambda w: period(w["route"], w["b"], route_external_id="R-1"),
            "periods[1].route_external_id: give route_id or route_external_id, not both",
        ),
        (
            lambda w: period("", w["b"]),
            "periods[1].route_id: is required: give route_id or route_external_id",
        ),
        (
            lambda w: period(w["route"], w["b"], employee_external_id="E-1"),
            "periods[1].employee_external_id: give employee_id or employee_external_id, not both",
        ),
        (
            lambda w: period(w["route"], ""),
            "periods[1].employee_id: is required: give employee_id or employee_external_id",
        ),
        (lambda w: period("route-1", w["b"]), "periods[1].route_id: must be a UUID"),
        (
            lambda w: period(employee=w["b"], route_external_id="Я" * 65),
            "periods[1].route_external_id: must be at most 64 characters",
        ),
        (lambda w: period(w["route"], w["b"], None), "periods[1].valid_from: is required"),
        (
            lambda w: period(w["route"], w["b"], DEC_1 + timedelta(days=3), DEC_1),
            "periods[1].valid_to: 2026-12-01 is before valid_from 2026-12-04",
        ),
        (
            lambda w: period(w["route"], w["tech"], DEC_1 + timedelta(days=3)),
            "periods[1].employee_id: employee {tech} holds neither ROLE_AGENT nor ROLE_VAN_SELLER",
        ),
        (
            lambda w: period(w["route"], w["gone"], DEC_1 + timedelta(days=3)),
            "periods[1].employee_id: employee {gone} is not active",
        ),
        (
            lambda w: period(w["route"], w["b"], DEC_1 + timedelta(days=20)),
            "periods[1].valid_from: route {route} has another period starting 2026-12-21 at "
            "periods[0]",
        ),
    ],
)
async def test_an_invalid_period_is_named_by_index_and_field_and_nothing_is_written(
    svc: Harness, clock: Clock, bad: object, named: str
) -> None:
    a, b = await make_employee(svc), await make_employee(svc)
    tech = await make_employee(svc, pb.ROLE_TECHNICIAN, pb.ROLE_MERCHANDISER)
    gone = await make_employee(svc)
    await svc.territory.UpdateEmployee(
        ts.UpdateEmployeeRequest(
            request_id=new_id(),
            employee=pb.Employee(
                id=gone.id, full_name=gone.full_name, roles=gone.roles, active=False, version=1
            ),
        )
    )
    route = await make_route(svc, a.id)
    world = {"route": route.id, "b": b.id, "tech": tech.id, "gone": gone.id}
    good = period(route.id, b.id, DEC_1 + timedelta(days=20))
    before = await rows(svc)
    await expect_error(
        svc.territory.ScheduleRouteAgents(schedule(good, bad(world))),  # type: ignore[operator]
        INVALID,
        named.format(**world),
    )
    assert await rows(svc) == before
    assert await agent_of(svc, route.id) == a.id


async def test_an_impossible_date_is_refused_alone(svc: Harness, clock: Clock) -> None:
    a = await make_employee(svc)
    route = await make_route(svc, a.id)
    bad = period(route.id, a.id, None)
    bad.valid_from.year, bad.valid_from.month, bad.valid_from.day = 2026, 2, 30
    await expect_error(
        svc.territory.ScheduleRouteAgents(schedule(bad)),
        INVALID,
        "periods[0].valid_from: is not a calendar date: 2026-2-30",
    )


async def test_a_route_or_employee_that_does_not_exist_is_not_found_naming_the_field(
    svc: Harness, clock: Clock
) -> None:
    """Routes are never made by a schedule (docs/contexts/clients.md): a route the ERP names
    before it is made in Fieldline is NOT_FOUND, as an unknown employee is; the refusal lists
    every such period and writes nothing."""
    a = await make_employee(svc)
    route = await make_route(svc, a.id)
    before = await rows(svc)
    nobody = new_id()
    error = await expect_error(
        svc.territory.ScheduleRouteAgents(
            schedule(
                period(route.id, a.id),
                period(employee=a.id, route_external_id="MSK-NOWHERE-01"),
                period(route.id, nobody, DEC_1 + timedelta(days=1)),
            )
        ),
        NOT_FOUND,
        "periods[1].route_external_id: route 'MSK-NOWHERE-01' not found",
        f"(and 1 more: periods[2].employee_id: employee '{nobody}' not found)",
    )
    assert (error.details() or "").endswith("; nothing was changed")
    # with an invalid period among them, the refusal is INVALID_ARGUMENT (naming all)
    await expect_error(
        svc.territory.ScheduleRouteAgents(
            schedule(
                period(employee=a.id, route_external_id="MSK-NOWHERE-01"),
                period(route.id, a.id, None),
            )
        ),
        INVALID,
        "periods[0].route_external_id: route 'MSK-NOWHERE-01' not found",
        "periods[1].valid_from: is required",
    )
    assert await rows(svc) == before


async def test_batch_limits(svc: Harness, clock: Clock) -> None:
    before = await rows(svc)
    await expect_error(
        svc.territory.ScheduleRouteAgents(schedule()), INVALID, "periods: at least one"
    )
    await expect_error(
        svc.territory.ScheduleRouteAgents(schedule(*(period(new_id(), new_id()),) * 1001)),
        INVALID,
        "periods: must have at most 1000 items, got 1001",
    )
    await expect_error(
        svc.territory.ScheduleRouteAgents(
            ts.ScheduleRouteAgentsRequest(periods=[period(new_id(), new_id())])
        ),
        INVALID,
        "request_id: is required",
    )
    assert await rows(svc) == before


# ---------------------------------------------------------------------------- reading
async def test_list_route_agent_periods_pages_by_start_day(svc: Harness, clock: Clock) -> None:
    a, b = await make_employee(svc), await make_employee(svc)
    route = await make_route(svc, a.id)
    starts = [DEC_1 + timedelta(days=n) for n in (30, 0, 10)]
    await svc.territory.ScheduleRouteAgents(
        schedule(*(period(route.id, who.id, d) for who, d in zip((a, b, a), starts, strict=True)))
    )
    first = await svc.territory.ListRouteAgentPeriods(
        ts.ListRouteAgentPeriodsRequest(route_id=route.id, page_size=2)
    )
    assert len(first.periods) == 2 and first.next_page_token
    rest = await svc.territory.ListRouteAgentPeriods(
        ts.ListRouteAgentPeriodsRequest(
            route_id=route.id, page_size=2, page_token=first.next_page_token
        )
    )
    listed = [
        date(p.valid_from.year, p.valid_from.month, p.valid_from.day)
        for p in [*first.periods, *rest.periods]
    ]
    assert listed == sorted(starts) and not rest.next_page_token
    await expect_error(
        svc.territory.ListRouteAgentPeriods(ts.ListRouteAgentPeriodsRequest(route_id=new_id())),
        NOT_FOUND,
    )
    await expect_error(
        svc.territory.ListRouteAgentPeriods(ts.ListRouteAgentPeriodsRequest()),
        INVALID,
        "route_id: is required",
    )
    await expect_error(
        svc.territory.ListRouteAgentPeriods(
            ts.ListRouteAgentPeriodsRequest(route_id=route.id, page_token="bm90LWEtZGF0ZQ==")
        ),
        INVALID,
        "page_token",
    )


async def test_concurrent_schedules_of_one_period_store_it_once(svc: Harness, clock: Clock) -> None:
    a, b = await make_employee(svc), await make_employee(svc)
    route = await make_route(svc, a.id)
    replies = await asyncio.gather(
        *(svc.territory.ScheduleRouteAgents(schedule(period(route.id, b.id))) for _ in range(4)),
        return_exceptions=True,
    )
    answered = [r for r in replies if isinstance(r, ts.ScheduleRouteAgentsResponse)]
    for r in replies:  # a loser that could not re-read in time is ABORTED, never INTERNAL
        if isinstance(r, grpc.aio.AioRpcError):
            assert r.code() == grpc.StatusCode.ABORTED
    assert answered and all(r.routes[0].agent_id == b.id for r in answered)
    assert await periods_of(svc, route.id) == [(b.id, DEC_1, None)]
    assert await events_of(svc, route.id) == ["RouteChanged", "RouteChanged"]
