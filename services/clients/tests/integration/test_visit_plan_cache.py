"""The visit plan cache in a running service: what it serves, and how it learns of changes.

Changes made on the replica that serves the plan show in its very next GetVisitPlan; changes
made on another replica arrive through the CLIENTS stream within seconds; without NATS the
plan comes from the database until the stream is followed again; entries expire after
CLIENTS_PLAN_CACHE_SECONDS; 0 turns the cache off.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2, timestamp_pb2
from google.type import latlng_pb2
from sqlalchemy import update

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline_clients.adapters import orm
from fieldline_clients.bootstrap import bootstrap
from fieldline_clients.settings import PREFIX, ClientsSettings
from fieldline_kit.settings import load_settings
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import eventually, expect_error, new_id
from fieldline_kit.testing.nats_server import EmbeddedNats

from .builders import make_employee, make_outlet, make_route, pb_date
from .conftest import Harness, harness, two_replicas

MONDAY = date(2026, 11, 2)
Row = tuple[str, str, int]  # (outlet id, outlet name, visit status or 0)


@pytest.fixture(scope="module")
async def replicas(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> AsyncIterator[tuple[Harness, Harness]]:
    async with two_replicas(db_factory, nats_server.url) as pair:
        yield pair


# ---------------------------------------------------------------------------------- helpers
async def plan(h: Harness, agent_id: str, day: date = MONDAY) -> list[Row]:
    reply = await h.territory.GetVisitPlan(
        ts.GetVisitPlanRequest(agent_id=agent_id, date=pb_date(day))
    )
    return [(v.outlet.id, v.outlet.card.name, v.visit.status) for v in reply.visits]


async def assign(h: Harness, route_id: str, outlet_id: str, seq: int) -> None:
    await h.territory.SetRouteAssignment(
        ts.SetRouteAssignmentRequest(
            request_id=new_id(),
            assignment=pb.RouteAssignment(
                route_id=route_id,
                outlet_id=outlet_id,
                frequency=pb.VISIT_FREQUENCY_WEEKLY,
                weekdays=[1],
                start_date=pb_date(MONDAY),
                sequence=seq,
            ),
        )
    )


def stamp(hour: int) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(datetime(2026, 11, 2, hour, tzinfo=UTC))
    return out


@dataclass
class Territory:
    """An agent with one route of outlets o[0], o[1] (assigned) and o[2] (not yet)."""

    agent: pb.Employee
    route: pb.Route
    outlets: list[pb.Outlet] = field(default_factory=list)
    visit_id: str = ""

    @property
    def ids(self) -> list[str]:
        return [o.id for o in self.outlets]


async def territory(h: Harness) -> Territory:
    agent = await make_employee(h, pb.ROLE_AGENT)
    route = await make_route(h, agent.id)
    t = Territory(agent, route, [await make_outlet(h) for _ in range(3)])
    await assign(h, route.id, t.outlets[0].id, 1)
    await assign(h, route.id, t.outlets[1].id, 2)
    return t


async def cached_plan(h: Harness, agent_id: str) -> list[Row]:
    """The plan, made sure to sit in `h`'s cache (so a change has something to invalidate).

    Asks until a second request is a hit: events of earlier writes made on another replica may
    still be on their way and drop the entry once more.
    """
    result: list[Row] = []

    async def served_from_cache() -> bool:
        nonlocal result
        result = await plan(h, agent_id)
        hits = h.app.plan_cache.hits
        again = await plan(h, agent_id)
        return again == result and h.app.plan_cache.hits == hits + 1

    await eventually(served_from_cache, within=10)
    assert (agent_id, MONDAY) in h.app.plan_cache
    return result


Change = Callable[[Harness, Territory], Awaitable[None]]


async def add_outlet(h: Harness, t: Territory) -> None:
    await assign(h, t.route.id, t.outlets[2].id, 3)


async def rename_outlet(h: Harness, t: Territory) -> None:
    await h.clients.UpdateOutletCard(
        cs.UpdateOutletCardRequest(
            request_id=new_id(),
            outlet_id=t.outlets[0].id,
            expected_version=t.outlets[0].version,
            card=pb.OutletCard(name="Новое имя"),
            update_mask=field_mask_pb2.FieldMask(paths=["name"]),
        )
    )


async def check_in(h: Harness, t: Territory) -> None:
    t.visit_id = new_id()
    await h.visits.CheckIn(
        vs.CheckInRequest(
            request_id=new_id(),
            visit_id=t.visit_id,
            for_agent_id=t.agent.id,
            outlet_id=t.outlets[1].id,
            time=stamp(9),
            location=latlng_pb2.LatLng(latitude=55.7512, longitude=37.62),
            date=pb_date(MONDAY),
        )
    )


async def check_out(h: Harness, t: Territory) -> None:
    await h.visits.CheckOut(
        vs.CheckOutRequest(
            request_id=new_id(),
            visit_id=t.visit_id,
            time=stamp(10),
            outcome=pb.VISIT_OUTCOME_NO_ORDER,
            notes="директор в отпуске",
        )
    )


async def miss_visit(h: Harness, t: Territory) -> None:
    await h.visits.RecordMissedVisit(
        vs.RecordMissedVisitRequest(
            request_id=new_id(),
            visit_id=new_id(),
            for_agent_id=t.agent.id,
            outlet_id=t.outlets[2].id,
            date=pb_date(MONDAY),
            reason="закрыто на учёт",
        )
    )


async def set_status(h: Harness, t: Territory, status: int) -> None:
    current = (await h.clients.GetOutlet(cs.GetOutletRequest(outlet_id=t.outlets[0].id))).outlet
    await h.clients.SetOutletStatus(
        cs.SetOutletStatusRequest(
            request_id=new_id(),
            outlet_id=current.id,
            expected_version=current.version,
            status=status,
        )
    )


async def close_outlet(h: Harness, t: Territory) -> None:
    await set_status(h, t, pb.OUTLET_STATUS_CLOSED)


async def reopen_outlet(h: Harness, t: Territory) -> None:
    await set_status(h, t, pb.OUTLET_STATUS_ACTIVE)


async def remove_outlet(h: Harness, t: Territory) -> None:
    await h.territory.RemoveRouteAssignment(
        ts.RemoveRouteAssignmentRequest(
            request_id=new_id(), route_id=t.route.id, outlet_id=t.outlets[2].id
        )
    )


def expected_steps(t: Territory) -> list[tuple[str, Change, list[Row]]]:
    """Each change and the plan that must follow it (as (outlet, name, visit status))."""
    o0, o1, o2 = t.outlets
    n0, n1, n2 = (o.card.name for o in t.outlets)
    progress, done, missed = (
        pb.VISIT_STATUS_IN_PROGRESS,
        pb.VISIT_STATUS_COMPLETED,
        pb.VISIT_STATUS_MISSED,
    )
    return [
        ("assignment added", add_outlet, [(o0.id, n0, 0), (o1.id, n1, 0), (o2.id, n2, 0)]),
        ("card changed", rename_outlet, [(o0.id, "Новое имя", 0), (o1.id, n1, 0), (o2.id, n2, 0)]),
        ("checked in", check_in, [(o0.id, "Новое имя", 0), (o1.id, n1, progress), (o2.id, n2, 0)]),
        ("checked out", check_out, [(o0.id, "Новое имя", 0), (o1.id, n1, done), (o2.id, n2, 0)]),
        ("missed", miss_visit, [(o0.id, "Новое имя", 0), (o1.id, n1, done), (o2.id, n2, missed)]),
        ("outlet closed", close_outlet, [(o1.id, n1, done), (o2.id, n2, missed)]),
        # A closed outlet is in no plan, yet reopening it must reach the cached plan.
        (
            "outlet reopened",
            reopen_outlet,
            [(o0.id, "Новое имя", 0), (o1.id, n1, done), (o2.id, n2, missed)],
        ),
        ("assignment removed", remove_outlet, [(o0.id, "Новое имя", 0), (o1.id, n1, done)]),
    ]


# ------------------------------------------------------------------------------------ tests
async def test_changes_on_the_same_replica_show_in_the_next_plan(
    replicas: tuple[Harness, Harness],
) -> None:
    a, _ = replicas
    t = await territory(a)
    assert await cached_plan(a, t.agent.id) == [
        (t.outlets[0].id, t.outlets[0].card.name, 0),
        (t.outlets[1].id, t.outlets[1].card.name, 0),
    ]
    for step, change, expected in expected_steps(t):
        await cached_plan(a, t.agent.id)
        await change(a, t)
        assert await plan(a, t.agent.id) == expected, step  # no waiting: invalidated on commit


async def test_changes_on_another_replica_reach_the_cache_within_seconds(
    replicas: tuple[Harness, Harness],
) -> None:
    a, b = replicas
    t = await territory(b)
    for step, change, expected in expected_steps(t):
        await cached_plan(a, t.agent.id)
        await change(b, t)
        assert await plan(b, t.agent.id) == expected, step

        async def arrived(want: list[Row] = expected) -> bool:
            return await plan(a, t.agent.id) == want

        await eventually(arrived, within=10)


async def test_cached_plan_equals_the_outlets_and_visits_as_read_one_by_one(
    replicas: tuple[Harness, Harness],
) -> None:
    a, _ = replicas
    t = await territory(a)
    await add_outlet(a, t)
    await rename_outlet(a, t)

    async def read_plan() -> ts.GetVisitPlanResponse:
        await cached_plan(a, t.agent.id)
        return await a.territory.GetVisitPlan(  # type: ignore[no-any-return]
            ts.GetVisitPlanRequest(agent_id=t.agent.id, date=pb_date(MONDAY))
        )

    async def same_as_read_one_by_one(reply: ts.GetVisitPlanResponse) -> None:
        assert reply.agent_id == t.agent.id and reply.date == pb_date(MONDAY)
        assert [(v.route_id, v.sequence) for v in reply.visits] == [
            (t.route.id, 1),
            (t.route.id, 2),
            (t.route.id, 3),
        ]
        listed = await a.visits.ListVisits(vs.ListVisitsRequest(agent_id=t.agent.id))
        by_outlet = {v.outlet_id: v for v in listed.visits}
        for planned in reply.visits:
            one = await a.clients.GetOutlet(cs.GetOutletRequest(outlet_id=planned.outlet.id))
            assert planned.outlet == one.outlet
            if planned.outlet.id in by_outlet:
                assert planned.visit == by_outlet[planned.outlet.id]
            else:
                assert not planned.HasField("visit")

    await same_as_read_one_by_one(await read_plan())
    await check_in(a, t)  # with a location: a check-in mark with coordinates
    await same_as_read_one_by_one(await read_plan())
    await check_out(a, t)  # without one: a mark without coordinates; outcome and notes
    await miss_visit(a, t)  # a missed visit: reason, no marks
    reply = await read_plan()
    assert [v.visit.status for v in reply.visits] == [
        0,
        pb.VISIT_STATUS_COMPLETED,
        pb.VISIT_STATUS_MISSED,
    ]
    assert reply.visits[1].visit.HasField("check_in_location")
    assert not reply.visits[1].visit.HasField("check_out_location")
    await same_as_read_one_by_one(reply)


async def test_unknown_agent_and_agent_without_routes(replicas: tuple[Harness, Harness]) -> None:
    a, _ = replicas
    await expect_error(
        a.territory.GetVisitPlan(ts.GetVisitPlanRequest(agent_id=new_id(), date=pb_date(MONDAY))),
        grpc.StatusCode.NOT_FOUND,
        "agent_id",
    )
    idle = await make_employee(a, pb.ROLE_AGENT)
    assert await cached_plan(a, idle.id) == []
    route = await make_route(a, idle.id)  # RouteChanged drops the cached empty plan
    outlet = await make_outlet(a)
    await assign(a, route.id, outlet.id, 1)
    assert [o for o, _, _ in await plan(a, idle.id)] == [outlet.id]


async def test_without_nats_plans_come_from_the_database_until_it_is_back(
    db_factory: DatabaseFactory, tmp_path: Path
) -> None:
    nats = EmbeddedNats(tmp_path / "nats")
    await nats.start()
    try:
        async with two_replicas(db_factory, nats.url) as (a, b):
            t = await territory(a)
            await cached_plan(a, t.agent.id)

            await nats.stop()
            await eventually(lambda: not a.app.plan_cache.live, within=10)
            assert len(a.app.plan_cache) == 0
            await add_outlet(b, t)  # B writes; its event cannot be published now
            assert [o for o, _, _ in await plan(a, t.agent.id)] == t.ids  # from the database
            assert (t.agent.id, MONDAY) not in a.app.plan_cache  # and not cached

            await nats.start()
            await eventually(lambda: a.app.plan_cache.live, within=30)
            assert [o for o, _, _ in await cached_plan(a, t.agent.id)] == t.ids  # caching again
            await remove_outlet(b, t)

            async def removed() -> bool:
                return [o for o, _, _ in await plan(a, t.agent.id)] == t.ids[:2]

            await eventually(removed, within=15)
    finally:
        await nats.stop()


async def test_entries_expire_after_the_ttl(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with harness(db_factory, nats_server.url, plan_cache_seconds=1.0) as h:
        t = await territory(h)
        await cached_plan(h, t.agent.id)
        await _swap_sequences_behind_the_services_back(h, t)  # no event: the cache cannot know
        assert [o for o, _, _ in await plan(h, t.agent.id)] == t.ids[:2]
        await eventually(
            lambda: _outlet_order(h, t.agent.id, [t.ids[1], t.ids[0]]), within=5, every=0.2
        )


async def test_zero_seconds_turns_the_cache_off(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with harness(db_factory, nats_server.url, plan_cache_seconds=0) as h:
        assert not h.app.plan_cache.enabled and not h.app.plan_cache.live
        t = await territory(h)
        assert [o for o, _, _ in await plan(h, t.agent.id)] == t.ids[:2]
        await _swap_sequences_behind_the_services_back(h, t)
        assert [o for o, _, _ in await plan(h, t.agent.id)] == [t.ids[1], t.ids[0]]
        assert len(h.app.plan_cache) == 0 and h.app.plan_cache.hits == 0


def test_the_cache_is_configured_from_the_environment() -> None:
    env = {"CLIENTS_DATABASE_URL": "sqlite:///x.db", "CLIENTS_NATS_URL": "nats://x:4222"}
    default = load_settings(ClientsSettings, PREFIX, env)
    assert default.plan_cache_seconds == 300.0 and bootstrap(default).plan_cache.enabled
    off = load_settings(ClientsSettings, PREFIX, {**env, "CLIENTS_PLAN_CACHE_SECONDS": "0"})
    assert off.plan_cache_seconds == 0 and not bootstrap(off).plan_cache.enabled


def test_the_service_froze_its_start_up_objects(replicas: tuple[Harness, Harness]) -> None:
    assert gc.get_freeze_count() > 0  # ServiceProcess.run froze them before `ready`


async def _swap_sequences_behind_the_services_back(h: Harness, t: Territory) -> None:
    a = orm.route_assignments
    async with h.app.engine.begin() as conn:
        for outlet_id, seq in ((t.ids[0], 2), (t.ids[1], 1)):
            await conn.execute(
                update(a)
                .where(a.c.route_id == t.route.id, a.c.outlet_id == outlet_id)
                .values(sequence=seq)
            )


async def _outlet_order(h: Harness, agent_id: str, want: list[str]) -> bool:
    return [o for o, _, _ in await plan(h, agent_id)] == want
