"""The demo-company generator and its two loaders (bulk into a database, and over gRPC)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from fieldline.clients.v1 import clients_service_pb2 as cs
from fieldline.clients.v1 import resources_pb2 as pb
from fieldline.clients.v1 import territory_service_pb2 as ts
from fieldline.clients.v1 import visits_service_pb2 as vs
from fieldline_clients.adapters import orm, queries
from fieldline_clients.adapters import proto_mapping as m
from fieldline_clients.adapters.bulk import TABLES
from fieldline_clients.adapters.repository import outlet_from
from fieldline_clients.domain.model import RouteAssignment
from fieldline_clients.domain.taxid import is_valid_inn, validate_kpp
from fieldline_clients.entrypoints.main import MIGRATIONS, SPEC
from fieldline_dev import demo
from fieldline_kit.db import create_engine, session_factory
from fieldline_kit.grpc.convert import from_pb_date
from fieldline_kit.migrations import upgrade_async
from fieldline_kit.testing.auth import ADMIN
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.testing.service import service_running

START = date(2025, 1, 6)  # a Monday
SEED = 7
SMALL = demo.Sizes(agents=4, outlets=480)  # the bench agent's 300 + 3 × 60
TINY = demo.Sizes(agents=3, outlets=60, bench_outlets=20)

DOMAIN_TABLES = TABLES  # every table the demo company fills


# ------------------------------------------------------------------------------ generator
def test_the_same_seed_gives_the_same_company() -> None:
    a = demo.generate(SMALL, SEED, START)
    b = demo.generate(SMALL, SEED, START)
    assert a.territories == b.territories
    assert a.employees == b.employees
    assert a.routes == b.routes
    assert a.questionnaires == b.questionnaires
    assert a.all_clients() == b.all_clients()
    assert a.all_outlets() == b.all_outlets()
    assert a.all_outlets() == a.all_outlets()  # iterating again changes nothing either

    other = demo.generate(SMALL, SEED + 1, START)
    assert {o.id for o in other.all_outlets()}.isdisjoint(o.id for o in a.all_outlets())
    assert other.bench_agent_id != a.bench_agent_id


def test_inns_and_kpps_are_valid_and_unique() -> None:
    company = demo.generate(SMALL, SEED, START)
    clients = company.all_clients()
    inns = [c.inn for c in clients]
    assert len(set(inns)) == len(inns)
    for c in clients:
        assert is_valid_inn(c.inn), c
        assert validate_kpp("kpp", c.kpp, c.inn) == c.kpp
    organisations = sum(1 for c in clients if len(c.inn) == 10)
    entrepreneurs = sum(1 for c in clients if len(c.inn) == 12)
    assert organisations > entrepreneurs > 0
    assert all(c.name.startswith("ИП ") for c in clients if len(c.inn) == 12)


def test_outlets_lie_around_real_city_centres() -> None:
    company = demo.generate(SMALL, SEED, START)
    outlets = company.all_outlets()
    assert len(outlets) == SMALL.outlets
    for o in outlets:
        assert o.card.HasField("location")
        loc = o.card.location
        assert -90 <= loc.latitude <= 90 and -180 <= loc.longitude <= 180
        nearest_km = min(
            math.dist(
                (loc.latitude, loc.longitude * math.cos(math.radians(lat))),
                (lat, lon * math.cos(math.radians(lat))),
            )
            * 111.32
            for lat, lon in demo.CITY_CENTRES.values()
        )
        assert nearest_km < 80, o
        assert o.card.name and o.card.address and o.card.working_hours and o.card.contacts
    assert len({o.card.name for o in outlets}) > len(outlets) / 4  # names vary


def test_the_bench_agent_has_300_outlets_due_on_the_bench_date() -> None:
    company = demo.generate(SMALL, SEED, START)
    assert company.bench_agent_id == demo.bench_agent_id(SEED)
    assert company.bench_date.isoweekday() == demo.BENCH_WEEKDAY
    routes = [r for r in company.routes if r.agent_id == company.bench_agent_id]
    assert len(routes) == 1
    on_route = [
        o for o in company.all_outlets() if o.assignment and o.assignment.route_id == routes[0].id
    ]
    assert len(on_route) == demo.BENCH_OUTLETS == 300
    for o in on_route:
        assert o.status == pb.OUTLET_STATUS_ACTIVE
        assert o.assignment is not None and _due(o.assignment, company.bench_date)
    assert sorted(o.assignment.sequence for o in on_route if o.assignment) == list(range(1, 301))
    # The other agents share the rest evenly and visit on varied schedules.
    others = [o for o in company.all_outlets() if o not in on_route]
    assert len(others) == SMALL.outlets - 300
    frequencies = {o.assignment.frequency for o in others if o.assignment}
    assert frequencies == set(demo.WEEKS) == set(m.FREQUENCIES.values())


def _due(a: pb.RouteAssignment, day: date) -> bool:
    """Whether the service would plan a visit for the assignment on `day`."""
    frequency = m.from_enum(m.FREQUENCIES, a.frequency, "frequency")
    start = from_pb_date("start_date", a.start_date)
    return RouteAssignment.of(
        a.route_id, a.outlet_id, frequency, a.weekdays, start, a.sequence
    ).is_due(day)


# request type → (the ids it refers to, the id it creates)
REFERENCES: dict[type, Callable[[Any], tuple[set[str], str]]] = {
    ts.CreateTerritoryRequest: lambda r: ({r.territory.parent_id}, r.territory.id),
    vs.CreateQuestionnaireRequest: lambda r: (set(), r.questionnaire.id),
    cs.CreateClientRequest: lambda r: (set(), r.client.id),
    ts.CreateEmployeeRequest: lambda r: (
        {r.employee.territory_id, r.employee.supervisor_id, r.employee.distributor_id},
        r.employee.id,
    ),
    cs.CreateOutletRequest: lambda r: ({r.outlet.client_id, r.outlet.territory_id}, r.outlet.id),
    cs.SetOutletStatusRequest: lambda r: ({r.outlet_id}, ""),
    ts.CreateRouteRequest: lambda r: ({r.route.agent_id, r.route.territory_id}, r.route.id),
    ts.SetRouteAssignmentRequest: lambda r: ({r.assignment.route_id, r.assignment.outlet_id}, ""),
}


def test_the_requests_create_the_company_each_after_what_it_refers_to() -> None:
    company = demo.generate(TINY, SEED, START)
    created: set[str] = {""}
    requests = list(company.requests())
    for r in requests:
        refers_to, creates = REFERENCES[type(r)](r)
        assert refers_to <= created, r
        created.add(creates)
    counts = company.counts()
    assert len(requests) == sum(
        counts[k]
        for k in (
            "territories", "questionnaires", "clients", "employees", "outlets",
            "closed_outlets", "routes", "route_assignments",
        )
    )  # fmt: skip


def test_sizes_must_leave_room_for_the_bench_agent() -> None:
    with pytest.raises(ValueError, match="bench"):
        demo.Sizes(agents=10, outlets=305)
    with pytest.raises(ValueError):
        demo.Sizes(agents=1, outlets=1000)


# ---------------------------------------------------------------------------------- loaders
async def _migrated(db_factory: DatabaseFactory) -> str:
    url = await db_factory.create()
    await upgrade_async(url, MIGRATIONS)
    return url


async def _counts(url: str, tables: tuple[Table, ...]) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
                for t in tables
            }
    finally:
        await engine.dispose()


def _outlet_pb_without_times(data: bytes) -> pb.Outlet:
    outlet = pb.Outlet.FromString(data)
    outlet.ClearField("create_time")
    outlet.ClearField("update_time")
    return outlet


async def _rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every domain row, minus what legitimately differs: clock times, history row ids and who
    made a change (the caller's token through the API, the bulk load itself in bulk).

    The stored outlet proto is compared decoded, without its two timestamps (the same clock
    times as created_at/updated_at).
    """
    skip = {"created_at", "updated_at", "changed_at", "changed_by"}
    engine = create_engine(url)
    out: dict[str, list[dict[str, Any]]] = {}
    try:
        async with engine.connect() as conn:
            for t in DOMAIN_TABLES:
                rows = (await conn.execute(select(t))).mappings().all()
                cleaned = [
                    {
                        k: _outlet_pb_without_times(v) if k == "outlet_pb" else v
                        for k, v in r.items()
                        if k not in skip and not (t is orm.outlet_card_history and k == "id")
                    }
                    for r in rows
                ]
                out[t.name] = sorted(cleaned, key=repr)
    finally:
        await engine.dispose()
    return out


async def _assert_outlet_pb_matches_the_columns(url: str) -> None:
    """The denormalized outlet proto says exactly what the outlet's columns say."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(orm.outlets))).all()
    finally:
        await engine.dispose()
    assert rows
    for row in rows:
        assert pb.Outlet.FromString(row.outlet_pb) == m.outlet_pb(outlet_from(row)), row.id


async def test_load_bulk_writes_the_whole_company(db_factory: DatabaseFactory) -> None:
    url = await _migrated(db_factory)
    company = demo.generate(SMALL, SEED, START)
    expected = company.counts()

    report = await demo.load_bulk(url, SMALL, SEED, start_date=START, chunk_size=100)
    assert report.seconds > 0

    counts = await _counts(url, (*DOMAIN_TABLES, orm.kit.outbox, orm.kit.idempotency))
    assert counts == report.counts | {"outbox": 0, "idempotency": 0}  # no events, on purpose
    assert counts["territories"] == expected["territories"]
    assert counts["clients"] == expected["clients"]
    assert counts["employees"] == expected["employees"]
    assert counts["outlets"] == counts["outlet_card_history"] == SMALL.outlets
    assert counts["routes"] == SMALL.agents
    assert counts["route_assignments"] == expected["route_assignments"]
    assert counts["questionnaires"] == 3

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            plan = await queries.visit_plan(session, company.bench_agent_id, company.bench_date)
    finally:
        await engine.dispose()
    assert len(plan.response.visits) == 300
    assert [p.sequence for p in plan.response.visits] == list(range(1, 301))
    await _assert_outlet_pb_matches_the_columns(url)

    with pytest.raises(RuntimeError, match="empty"):
        await demo.load_bulk(url, SMALL, SEED, start_date=START)


async def test_load_bulk_migrates_a_new_database_first(db_factory: DatabaseFactory) -> None:
    url = await db_factory.create()
    report = await demo.load_bulk(url, TINY, SEED, start_date=START, migrate=True)
    assert report.counts["outlets"] == TINY.outlets


async def test_load_via_grpc_is_idempotent_and_writes_what_bulk_writes(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    url = await _migrated(db_factory)
    company = demo.generate(TINY, SEED, START)
    assert company.counts()["closed_outlets"] > 0  # so SetOutletStatus is exercised too
    everything = (*DOMAIN_TABLES, orm.kit.outbox, orm.kit.idempotency)

    said: list[str] = []
    said_again: list[str] = []
    async with service_running(SPEC, db_factory, nats_server.url, database_url=url) as svc:
        target = svc.target
        token = svc.tokens.source(ADMIN)
        first = await demo.load_via_grpc(
            target, TINY, SEED, start_date=START, concurrency=4, progress=said.append, token=token
        )
        after_first = await _counts(url, everything)
        second = await demo.load_via_grpc(
            target, TINY, SEED, start_date=START, concurrency=4,
            progress=said_again.append, progress_every=0.0, token=token,
        )  # fmt: skip
        after_second = await _counts(url, everything)

    # One line per stage as it ends, with its count; a long stage also tells how far it is.
    stages = [name for name, _, _ in first.stages]
    assert stages == [
        "regions", "cities", "clients", "supervisors and staff", "agents and merchandisers",
        "outlets", "routes", "route assignments", "questionnaires",
    ]  # fmt: skip
    assert [line.split(":")[0] for line in said] == stages, said
    assert f"route assignments: {company.counts()['route_assignments']:,} in " in said[7]
    assert [line.split(":")[0] for line in said_again if line.endswith("RPCs)")] == stages
    assert f"outlets: 1 of {TINY.outlets + company.counts()['closed_outlets']:,} …" in said_again

    assert first.counts == second.counts == company.counts()
    assert after_first == after_second  # no new rows, no new events, no new request records
    assert after_first["outlets"] == TINY.outlets
    assert after_first["route_assignments"] == company.counts()["route_assignments"]
    assert after_first["outbox"] > 0

    bulk_url = await _migrated(db_factory)
    await demo.load_bulk(bulk_url, TINY, SEED, start_date=START)
    assert await _rows(bulk_url) == await _rows(url)
    await _assert_outlet_pb_matches_the_columns(url)  # closed outlets were written twice
