"""GetRecommendedOrder / ListRecommendedOrders end to end.

Outlets, schedules and audits arrive as real clients events through NATS and the feed
consumer; products and delivered orders are rows of this service's own tables. The RPCs are
called over gRPC on the orders service as `serve` runs it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import grpc
import pytest
import pytest_asyncio
from google.type import date_pb2
from sqlalchemy import event, insert, select

from fieldline.clients.v1 import resources_pb2 as res
from fieldline.orders.v1 import orders_service_pb2 as pb
from fieldline.orders.v1 import orders_service_pb2_grpc as orders_grpc
from fieldline.orders.v1 import resources_pb2 as ores
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import new_id
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.orm_feed import feed_assignments
from fieldline_orders.bootstrap import App
from fieldline_orders.domain.feed import AssignmentState, AuditState, OutletState, ShelfCount

from .feed_harness import FeedEnv, feed_env, line_row, order_row

DAY = date(2024, 5, 13)  # a Monday; window 56 days: 18 March … 12 May
HISTORY = pb.RECOMMENDATION_REASON_SALES_HISTORY
MUST_STOCK = pb.RECOMMENDATION_REASON_MUST_STOCK


def pb_day(d: date) -> date_pb2.Date:
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


@dataclass
class World:
    env: FeedEnv
    stub: orders_grpc.OrdersServiceStub
    agent: str
    other_agent: str
    outlets: dict[str, str]
    products: dict[str, str]


@pytest_asyncio.fixture(scope="module")
async def world(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[World]:
    # No relay: nothing here publishes, and the statement counts below are the RPCs' alone.
    async with feed_env(db_factory, nats_server.url, run_relay=False) as env:
        yield await build_world(env, env.stub(orders_grpc.OrdersServiceStub))


async def build_world(env: FeedEnv, stub: orders_grpc.OrdersServiceStub) -> World:
    agent, other_agent = new_id(), new_id()
    route, other_route = new_id(), new_id()
    names = ["mon_thu", "fortnightly", "closed", "removed", "others", "first", "unplanned"]
    outlets = {name: new_id() for name in names}
    client = new_id()
    published = [await env.outlet(oid, client, 1) for oid in outlets.values()]
    published.append(await env.outlet(outlets["closed"], client, 2, res.OUTLET_STATUS_CLOSED))
    a = env.assignment
    published += [
        await a(route, outlets["mon_thu"], agent, 2, weekdays=[1, 4], sequence=1),
        await a(
            route,
            outlets["fortnightly"],
            agent,
            3,
            weekdays=[5],
            frequency=res.VISIT_FREQUENCY_EVERY_2_WEEKS,
            start=date(2024, 5, 6),
            sequence=2,
        ),
        await a(route, outlets["closed"], agent, 4, sequence=3),
        await a(route, outlets["removed"], agent, 5, sequence=4),
        await a(route, outlets["removed"], agent, 6, sequence=4, removed=True),
        await a(route, outlets["first"], agent, 7, weekdays=[2], sequence=0),
        # the fortnightly outlet is also on another agent's Wednesday route
        await a(other_route, outlets["fortnightly"], other_agent, 2, weekdays=[3]),
        await a(other_route, outlets["others"], other_agent, 3, weekdays=[3]),
    ]
    submitted = datetime(2024, 5, 9, 10, 0, tzinfo=UTC)
    published += [
        # an older audit, superseded by the next one
        await env.audit(
            outlets["mon_thu"], submitted - timedelta(days=7), [("SKU-CHIPS", False, "")]
        ),
        await env.audit(
            outlets["mon_thu"],
            submitted,
            [
                ("SKU-WATER", True, "4.5"),
                ("SKU-JUICE", False, ""),
                ("SKU-NOT-IN-CATALOG", False, ""),
            ],
        ),
    ]
    await env.wait_processed(*published)

    products = {
        "water": await env.product("SKU-WATER", pack_unit="box", pack="6"),
        "juice": await env.product("SKU-JUICE", pack_unit="case", pack="12"),
        "chips": await env.product("SKU-CHIPS", pack_unit="pcs", pack="1"),
        "retired": await env.product("SKU-RETIRED", active=False),
    }
    mon_thu, fortnightly = outlets["mon_thu"], outlets["fortnightly"]
    # 4 × 35 = 140 water in the window → avg 2.5
    for days_back in (1, 8, 15, 56):
        await env.delivered_order(
            mon_thu, DAY - timedelta(days=days_back), [(products["water"], 35)]
        )
    await env.delivered_order(mon_thu, DAY - timedelta(days=20), [(products["retired"], 500)])
    await env.delivered_order(mon_thu, DAY - timedelta(days=57), [(products["water"], 1000)])
    await env.delivered_order(mon_thu, DAY, [(products["water"], 1000)])  # the day itself
    # ordered but not delivered (yet): delivered_base_quantity 0
    order_id = new_id()
    async with env.app.sessions() as s, s.begin():
        await s.execute(
            insert(orm.orders).values(
                **order_row(order_id, mon_thu, DAY - timedelta(days=2), status="submitted")
            )
        )
        await s.execute(
            insert(orm.order_lines).values(
                **line_row(order_id, 1, products["water"], Decimal(0), Decimal(600))
            )
        )
    # 56 chips → avg 1 (two van sales and a partial delivery)
    for days_back, qty in ((3, Decimal(20)), (10, Decimal(30)), (40, Decimal("6"))):
        await env.delivered_order(
            fortnightly, DAY - timedelta(days=days_back), [(products["chips"], qty)]
        )
    await env.delivered_order(
        outlets["unplanned"], DAY - timedelta(days=5), [(products["water"], 140)]
    )
    await env.delivered_order(
        outlets["others"], DAY - timedelta(days=5), [(products["water"], 140)]
    )
    return World(env, stub, agent, other_agent, outlets, products)


def summary(order: pb.RecommendedOrder) -> list[tuple[str, str, str, str, int]]:
    return [
        (line.product_id, line.quantity, line.unit, line.base_quantity, line.reason)
        for line in order.lines
    ]


# ------------------------------------------------------------------------ GetRecommendedOrder
async def test_recommended_order_of_an_outlet_explained(world: World) -> None:
    response = await world.stub.GetRecommendedOrder(
        pb.GetRecommendedOrderRequest(outlet_id=world.outlets["mon_thu"], date=pb_day(DAY))
    )
    rec = response.recommendation
    assert rec.outlet_id == world.outlets["mon_thu"]
    assert (rec.date.year, rec.date.month, rec.date.day) == (2024, 5, 13)
    p = world.products
    # water: avg 140/56 = 2.5; next visit Thursday (3 days); safety 5; shelf 4.5 → need 8 → 12
    # juice: must-stock, absent, no history → one case of 12
    # chips: absent in the *older* audit only → nothing; retired: inactive → nothing
    assert summary(rec) == [
        (p["water"], "2", "box", "12", HISTORY),
        (p["juice"], "1", "case", "12", MUST_STOCK),
    ]
    water, juice = rec.lines
    assert water.explanation == pb.RecommendationExplanation(
        sold_quantity="140",
        window_days=56,
        average_daily_sales="2.5",
        days_until_next_visit=3,
        safety_stock="5",
        shelf_quantity="4.5",
        pack_size="6",
        formula="ceil((2.5 × 3 + 5 − 4.5) / 6) × 6 = 12",
        shelf_count_date=pb_day(date(2024, 5, 9)),
        next_contact_kind=ores.CONTACT_KIND_VISIT,
    )
    assert juice.explanation.formula == (
        "must-stock SKU SKU-JUICE absent in the latest audit: 1 × 12 = 12"
    )
    assert juice.explanation.shelf_quantity == ""
    assert rec.shelf_audit.used and rec.shelf_audit.date == pb_day(date(2024, 5, 9))
    assert rec.shelf_audit.reason == "" and rec.shelf_audit.audit_id


async def test_the_nearest_visit_of_any_route_counts(world: World) -> None:
    # fortnightly on Fridays (next: 24 May) on this route, Wednesdays on another: 2 days
    response = await world.stub.GetRecommendedOrder(
        pb.GetRecommendedOrderRequest(outlet_id=world.outlets["fortnightly"], date=pb_day(DAY))
    )
    [chips] = response.recommendation.lines
    assert chips.explanation.days_until_next_visit == 2
    assert chips.explanation.formula == "ceil((1 × 2 + 2) / 1) × 1 = 4"


async def test_an_outlet_without_a_planned_visit_uses_the_fallback(world: World) -> None:
    response = await world.stub.GetRecommendedOrder(
        pb.GetRecommendedOrderRequest(outlet_id=world.outlets["unplanned"], date=pb_day(DAY))
    )
    [water] = response.recommendation.lines
    assert (water.quantity, water.base_quantity) == ("4", "24")
    assert water.explanation.formula == (
        "ceil((2.5 × 7 + 5) / 6) × 6 = 24; "
        "no planned visit or call after 2024-05-13: 7-day fallback"
    )


async def test_without_a_date_today_in_the_company_time_zone(world: World) -> None:
    app = world.env.app
    saved = app.clock
    app.clock = lambda: datetime(2024, 5, 12, 22, 30, tzinfo=UTC)  # 13 May, 01:30 in Moscow
    try:
        response = await world.stub.GetRecommendedOrder(
            pb.GetRecommendedOrderRequest(outlet_id=world.outlets["mon_thu"])
        )
    finally:
        app.clock = saved
    d = response.recommendation.date
    assert (d.year, d.month, d.day) == (2024, 5, 13)


async def test_another_date_moves_the_window_and_the_visit(world: World) -> None:
    # Thursday 16 May: the window is 21 March … 15 May, so the 18 March order drops out and
    # the 13 May order of 1000 comes in; the next visit is Monday 20 May (4 days).
    response = await world.stub.GetRecommendedOrder(
        pb.GetRecommendedOrderRequest(
            outlet_id=world.outlets["mon_thu"], date=pb_day(date(2024, 5, 16))
        )
    )
    water = response.recommendation.lines[0]
    assert water.explanation.sold_quantity == "1105"  # 35 × 3 + 1000 (18 March is out)
    assert water.explanation.days_until_next_visit == 4


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.GetRecommendedOrderRequest(outlet_id="not-a-uuid"), "outlet_id"),
        (pb.GetRecommendedOrderRequest(), "outlet_id"),
        (
            pb.GetRecommendedOrderRequest(
                outlet_id=str(new_id()), date=date_pb2.Date(year=2024, month=2, day=30)
            ),
            "date",
        ),
    ],
)
async def test_get_rejects_malformed_requests_naming_the_field(
    world: World, request_: pb.GetRecommendedOrderRequest, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await world.stub.GetRecommendedOrder(request_)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith(f"{field}: ")


async def test_get_of_an_unknown_outlet_is_not_found(world: World) -> None:
    unknown = new_id()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await world.stub.GetRecommendedOrder(
            pb.GetRecommendedOrderRequest(outlet_id=unknown, date=pb_day(DAY))
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert unknown in (err.value.details() or "")


# ---------------------------------------------------------------------- ListRecommendedOrders
async def test_list_covers_the_active_outlets_on_the_agents_routes_in_visit_order(
    world: World,
) -> None:
    response = await world.stub.ListRecommendedOrders(
        pb.ListRecommendedOrdersRequest(agent_id=world.agent, date=pb_day(DAY))
    )
    o = world.outlets
    # not: the closed outlet, the removed one, the other agent's one
    assert [r.outlet_id for r in response.recommendations] == [
        o["first"],
        o["mon_thu"],
        o["fortnightly"],
    ]
    first, mon_thu, fortnightly = response.recommendations
    assert list(first.lines) == []
    single = await world.stub.GetRecommendedOrder(
        pb.GetRecommendedOrderRequest(outlet_id=o["mon_thu"], date=pb_day(DAY))
    )
    assert mon_thu == single.recommendation
    assert [line.base_quantity for line in fortnightly.lines] == ["4"]

    other = await world.stub.ListRecommendedOrders(
        pb.ListRecommendedOrdersRequest(agent_id=world.other_agent, date=pb_day(DAY))
    )
    assert sorted(r.outlet_id for r in other.recommendations) == sorted(
        [o["fortnightly"], o["others"]]
    )


async def test_list_of_an_agent_without_routes_is_empty(world: World) -> None:
    response = await world.stub.ListRecommendedOrders(
        pb.ListRecommendedOrdersRequest(agent_id=new_id(), date=pb_day(DAY))
    )
    assert list(response.recommendations) == []


async def test_an_agent_sees_the_recommendations_of_its_own_routes_only(world: World) -> None:
    """Its own routes when it names none; another agent's are left out (empty), and an outlet
    off its routes is not found, as if it did not exist."""
    agent = world.env.stub(orders_grpc.OrdersServiceStub, as_=Caller(world.agent, {"AGENT"}))
    o = world.outlets
    mine = await agent.ListRecommendedOrders(pb.ListRecommendedOrdersRequest(date=pb_day(DAY)))
    named = await agent.ListRecommendedOrders(
        pb.ListRecommendedOrdersRequest(agent_id=world.agent, date=pb_day(DAY))
    )
    assert [r.outlet_id for r in mine.recommendations] == [
        o["first"],
        o["mon_thu"],
        o["fortnightly"],
    ]
    assert mine == named
    theirs = await agent.ListRecommendedOrders(
        pb.ListRecommendedOrdersRequest(agent_id=world.other_agent, date=pb_day(DAY))
    )
    assert list(theirs.recommendations) == []
    ok = await agent.GetRecommendedOrder(
        pb.GetRecommendedOrderRequest(outlet_id=o["fortnightly"], date=pb_day(DAY))
    )
    assert ok.recommendation.outlet_id == o["fortnightly"]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await agent.GetRecommendedOrder(
            pb.GetRecommendedOrderRequest(outlet_id=o["others"], date=pb_day(DAY))
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert (err.value.details() or "").startswith("outlet_id: ")


@pytest.mark.parametrize("agent_id", ["agent-7"])
async def test_list_rejects_a_malformed_agent_id(world: World, agent_id: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await world.stub.ListRecommendedOrders(
            pb.ListRecommendedOrdersRequest(agent_id=agent_id, date=pb_day(DAY))
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith("agent_id: ")


# ------------------------------------------------------------------------ PHONE routes (calls)
async def test_a_call_is_the_next_contact_when_it_comes_before_the_visit(world: World) -> None:
    """A teleseller's call list (a PHONE route, Tuesdays) arriving through the feed makes the
    outlet's next contact Tuesday's call (1 day) rather than Thursday's visit (3 days), named
    a CALL; the teleseller's own list holds the outlet (a route it works); a visit on the same
    day as a call is named a VISIT."""
    env, teleseller, calls = world.env, new_id(), new_id()
    outlet_id = await _audited_outlet(world)
    before = await _recommend(world, outlet_id)
    assert before.lines[0].explanation.days_until_next_visit == 3
    assert before.lines[0].explanation.next_contact_kind == ores.CONTACT_KIND_VISIT
    phone = await env.assignment(
        calls, outlet_id, teleseller, 1, weekdays=[2], route_kind=res.ROUTE_KIND_PHONE
    )
    await env.wait_processed(phone)
    async with env.app.sessions() as s:
        kind = await s.scalar(
            select(feed_assignments.c.route_kind).where(feed_assignments.c.route_id == calls)
        )
    assert kind == "PHONE"
    after = await _recommend(world, outlet_id)
    line = after.lines[0].explanation
    assert (line.days_until_next_visit, line.next_contact_kind) == (1, ores.CONTACT_KIND_CALL)
    assert line.formula.endswith("; next contact a call")
    listed = await world.stub.ListRecommendedOrders(
        pb.ListRecommendedOrdersRequest(agent_id=teleseller, date=pb_day(DAY))
    )
    assert [r.outlet_id for r in listed.recommendations] == [outlet_id]
    assert listed.recommendations[0].lines[0].explanation.next_contact_kind == (
        ores.CONTACT_KIND_CALL
    )
    # The same schedule on a FIELD route (the feed's UNSPECIFIED reads as FIELD): a visit wins
    # the tie.
    field = await env.assignment(new_id(), outlet_id, teleseller, 1, weekdays=[2])
    await env.wait_processed(field)
    tied = (await _recommend(world, outlet_id)).lines[0].explanation
    assert (tied.days_until_next_visit, tied.next_contact_kind) == (1, ores.CONTACT_KIND_VISIT)


# ---------------------------------------------------------------------- constant query count
@contextlib.contextmanager
def counting_statements(app: App) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # The employee directory's refresh (a whole-table read, every second in the
        # background) is not the call's: on a slow machine one lands inside the window.
        if statement.rstrip().endswith("FROM feed_employees"):
            return
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    engine = app.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def seed_agent(env: FeedEnv, outlets: int, products: list[str]) -> str:
    """An agent with `outlets` outlets, each with 3 weeks of orders of every product."""
    agent, route = new_id(), new_id()
    async with env.app.uow() as uow:
        for n in range(outlets):
            outlet_id = new_id()
            await uow.feed.put_outlet(OutletState(outlet_id, new_id(), "ACTIVE", 1))
            await uow.feed.put_assignment(
                AssignmentState(
                    route, outlet_id, agent, 1, 1 << (1 + n % 5), date(2024, 1, 1), n, False, n + 1
                )
            )
            await uow.feed.put_audit(
                AuditState(
                    new_id(),
                    outlet_id,
                    datetime(2024, 5, 10, tzinfo=UTC),
                    1,
                    [ShelfCount("SKU-JUICE", False, 0, None)],
                )
            )
            for week in range(3):
                order_id = new_id()
                day = DAY - timedelta(days=7 * week + 1)
                s = uow.session
                await s.execute(insert(orm.orders).values(**order_row(order_id, outlet_id, day)))
                await s.execute(
                    insert(orm.order_lines),
                    [line_row(order_id, i, pid, Decimal(12)) for i, pid in enumerate(products)],
                )
        await uow.commit()
    return agent


async def test_list_runs_a_constant_number_of_queries(world: World) -> None:
    env = world.env
    goods = [world.products["water"], world.products["chips"]]
    small, large = await seed_agent(env, 3, goods), await seed_agent(env, 40, goods)
    counts = {}
    for agent, outlets in ((small, 3), (large, 40)):
        with counting_statements(env.app) as statements:
            response = await world.stub.ListRecommendedOrders(
                pb.ListRecommendedOrdersRequest(agent_id=agent, date=pb_day(DAY))
            )
        assert len(response.recommendations) == outlets
        assert all(len(r.lines) == 3 for r in response.recommendations)  # water, chips, juice
        counts[outlets] = len(statements)
    assert counts[3] == counts[40] == 5, counts
    with counting_statements(env.app) as statements:
        await world.stub.GetRecommendedOrder(
            pb.GetRecommendedOrderRequest(outlet_id=world.outlets["mon_thu"], date=pb_day(DAY))
        )
    assert len(statements) == 6


# ------------------------------------------------------------------------ stale shelf counts
async def _audited_outlet(world: World, *audits: tuple[datetime, datetime | None, str]) -> str:
    """A new outlet on the Monday/Thursday route, selling water as mon_thu does, with these
    audits (submit time, device time, water's count; water counted, juice absent), published
    in this order through the feed."""
    env, outlet_id = world.env, new_id()
    published = [
        await env.outlet(outlet_id, new_id(), 1),
        await env.assignment(new_id(), outlet_id, world.agent, 1, weekdays=[1, 4]),
    ]
    for submitted, performed, count in audits:
        published.append(
            await env.audit(
                outlet_id,
                submitted,
                [("SKU-WATER", True, count), ("SKU-JUICE", False, "")],
                performed=performed,
            )
        )
    await env.wait_processed(*published)
    for days_back in (1, 8, 15, 56):
        await env.delivered_order(
            outlet_id, DAY - timedelta(days=days_back), [(world.products["water"], 35)]
        )
    return outlet_id


async def _recommend(world: World, outlet_id: str) -> pb.RecommendedOrder:
    response = await world.stub.GetRecommendedOrder(
        pb.GetRecommendedOrderRequest(outlet_id=outlet_id, date=pb_day(DAY))
    )
    return response.recommendation


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def test_an_audit_14_days_old_is_used_15_days_old_ignored(world: World) -> None:
    fresh = await _audited_outlet(world, (_at(DAY), _at(DAY - timedelta(days=14)), "4.5"))
    rec = await _recommend(world, fresh)
    [water, juice] = rec.lines
    assert water.explanation.shelf_quantity == "4.5" and juice.reason == MUST_STOCK
    assert rec.shelf_audit.used and rec.shelf_audit.date == pb_day(DAY - timedelta(days=14))

    stale_day = DAY - timedelta(days=15)
    stale = await _audited_outlet(world, (_at(DAY), _at(stale_day), "4.5"))
    rec = await _recommend(world, stale)
    # Neither the count nor the must-stock absence: water from history alone, no juice.
    [water] = rec.lines
    assert water.explanation.shelf_quantity == ""
    assert water.explanation.shelf_count_date == pb_day(stale_day)
    assert water.explanation.shelf_ignored_reason == "15 days old, over 14"
    assert water.explanation.formula == (
        "ceil((2.5 × 3 + 5) / 6) × 6 = 18; shelf count of 2024-04-28 ignored: 15 days old, over 14"
    )
    assert (rec.shelf_audit.used, rec.shelf_audit.reason) == (False, "15 days old, over 14")
    assert rec.shelf_audit.date == pb_day(stale_day)


async def test_the_device_day_decides_in_the_company_zone(world: World) -> None:
    """Performed at 22:30 UTC on 28 April is 29 April in Moscow: 14 days before 13 May."""
    outlet_id = await _audited_outlet(
        world, (_at(DAY), datetime(2024, 4, 28, 22, 30, tzinfo=UTC), "4.5")
    )
    rec = await _recommend(world, outlet_id)
    assert rec.shelf_audit.used and rec.shelf_audit.date == pb_day(date(2024, 4, 29))


async def test_an_audit_made_after_the_date_is_not_used(world: World) -> None:
    after = DAY + timedelta(days=1)
    outlet_id = await _audited_outlet(world, (_at(after), _at(after), "400"))
    rec = await _recommend(world, outlet_id)
    [water] = rec.lines
    assert water.explanation.shelf_ignored_reason == "made after the date"
    assert (rec.shelf_audit.used, rec.shelf_audit.reason) == (False, "made after the date")


async def test_a_late_upload_of_an_older_audit_does_not_replace_a_newer_one(world: World) -> None:
    newer = _at(DAY - timedelta(days=2))
    older = _at(DAY - timedelta(days=20))
    # The newer audit is uploaded first; the older one (offline for weeks) arrives after it.
    outlet_id = await _audited_outlet(
        world, (newer, newer, "4.5"), (_at(DAY - timedelta(days=1)), older, "0")
    )
    rec = await _recommend(world, outlet_id)
    assert rec.shelf_audit.used and rec.shelf_audit.date == pb_day(newer.date())
    assert rec.lines[0].explanation.shelf_quantity == "4.5"


async def test_an_audit_without_a_device_time_is_dated_by_its_submit_time(world: World) -> None:
    outlet_id = await _audited_outlet(world, (_at(DAY - timedelta(days=30)), None, "4.5"))
    rec = await _recommend(world, outlet_id)
    assert (rec.shelf_audit.used, rec.shelf_audit.reason) == (False, "30 days old, over 14")
