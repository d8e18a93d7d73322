"""The clients feed use cases and recommendations on the fake unit of work: a record is applied
only if it is newer than the one held, and a recommendation reads what the feed left."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from google.protobuf import timestamp_pb2

from fieldline.clients.events.v1 import events_pb2 as cev
from fieldline.clients.v1 import resources_pb2 as cres
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.errors import NotFound
from fieldline_kit.messaging.consumer import PoisonMessage
from fieldline_orders.domain.feed import (
    FIELD_ROUTE,
    PHONE_ROUTE,
    AssignmentState,
    AuditState,
    EmployeeState,
    OutletState,
    ShelfCount,
    TerritoryState,
)
from fieldline_orders.domain.recommendation import (
    CALL,
    VISIT,
    Policy,
    Reason,
    next_contact,
    weekday_mask,
)
from fieldline_orders.entrypoints.feed_consumer import feed_record
from fieldline_orders.service_layer import feed, recommendation

from .fakes import FakeOrdersUnitOfWork
from .orders_factories import ADMIN, new_id, priced_order
from .orders_factories import product as new_product

MONDAY = date(2024, 5, 13)
POLICY = Policy(56, Decimal(2))


async def apply(uow: FakeOrdersUnitOfWork, *states: object) -> list[bool]:
    """Each record in its own transaction, as the consumer applies one event at a time."""
    applied = []
    for state in states:
        async with uow:
            if isinstance(state, OutletState):
                applied.append(await feed.outlet_seen(uow, state))
            elif isinstance(state, AssignmentState):
                applied.append(await feed.assignment_seen(uow, state))
            elif isinstance(state, EmployeeState):
                applied.append(await feed.employee_seen(uow, state))
            elif isinstance(state, TerritoryState):
                applied.append(await feed.territory_seen(uow, state))
            else:
                assert isinstance(state, AuditState)
                applied.append(await feed.audit_seen(uow, state))
            await uow.commit()
    return applied


def assignment(
    route_id: str, outlet_id: str, agent_id: str, version: int, *, removed: bool = False
) -> AssignmentState:
    return AssignmentState(
        route_id,
        outlet_id,
        agent_id,
        1,
        weekday_mask({1, 4}),
        date(2024, 1, 1),
        0,
        removed,
        version,
    )


def audit(outlet_id: str, at: datetime, *counts: ShelfCount, audit_id: str = "") -> AuditState:
    return AuditState(audit_id or new_id(), outlet_id, at, 1, list(counts))


# ---------------------------------------------------------------------------------- feed
async def test_the_newest_outlet_record_wins_whatever_the_arrival_order() -> None:
    uow = FakeOrdersUnitOfWork()
    outlet, client = new_id(), new_id()
    v2, v3 = OutletState(outlet, client, "CLOSED", 2), OutletState(outlet, client, "ACTIVE", 3)
    assert await apply(uow, v3, v2, v3) == [True, False, False]
    assert uow.feed.outlets == {outlet: v3}
    async with uow:
        assert await uow.feed_reads.outlet_client(outlet) == client
    assert uow.events == []  # the read models publish nothing


def _outlet_event(channel: str, territory_id: str, version: int = 1) -> EventEnvelope:
    outlet = cres.Outlet(
        id="o-1",
        client_id="c-1",
        status=cres.OUTLET_STATUS_ACTIVE,
        card=cres.OutletCard(name="Магазин", channel=channel),
        territory_id=territory_id,
    )
    envelope = EventEnvelope(event_id=new_id(), aggregate_version=version)
    message = cev.OutletCreated if version == 1 else cev.OutletChanged
    envelope.payload.Pack(message(outlet=outlet))
    return envelope


def test_an_outlet_keeps_its_cards_channel_as_written_and_its_territory() -> None:
    record = feed_record(_outlet_event(" HoReCa ", "t-1"))
    assert record == OutletState("o-1", "c-1", "ACTIVE", 1, " HoReCa ", "t-1")
    assert feed_record(_outlet_event("", "", 2)) == OutletState("o-1", "c-1", "ACTIVE", 2)
    with pytest.raises(PoisonMessage, match=r"outlet\.card\.channel"):
        feed_record(_outlet_event("x" * 101, "t-1"))


def test_a_territory_is_its_place_in_the_tree_at_version_1() -> None:
    def event(territory: cres.Territory, version: int) -> EventEnvelope:
        envelope = EventEnvelope(event_id=new_id(), aggregate_version=version)
        envelope.payload.Pack(cev.TerritoryChanged(territory=territory))
        return envelope

    city = cres.Territory(id="t-2", name="Казань", parent_id="t-1")
    assert feed_record(event(city, 1)) == TerritoryState("t-2", "t-1", 1)
    assert feed_record(event(city, 0)) == TerritoryState("t-2", "t-1", 1)  # no version: its one
    with pytest.raises(PoisonMessage, match=r"territory\.id"):
        feed_record(event(cres.Territory(name="Без id"), 1))


async def test_outlets_targeting_and_the_territory_tree_are_read_as_the_feed_left_them() -> None:
    uow = FakeOrdersUnitOfWork()
    outlet, client, region, city = new_id(), new_id(), new_id(), new_id()
    moved = OutletState(outlet, client, "ACTIVE", 2, "Retail", city)
    first = OutletState(outlet, client, "ACTIVE", 1, "HoReCa", region)
    made = [TerritoryState(city, region, 1), TerritoryState(region, "", 1)]
    again = TerritoryState(city, new_id(), 1)  # the same version again: changes nothing
    assert await apply(uow, first, moved, *made, again) == [True, True, True, True, False]
    async with uow:
        reads = uow.feed_reads
        assert await reads.outlet_targeting(outlet) == (outlet, client, "Retail", city)
        assert await reads.outlet_targeting(new_id()) is None
        assert await reads.territory_parents() == {city: region, region: ""}
    assert uow.events == []


async def test_the_newest_employee_record_wins_whatever_the_arrival_order() -> None:
    uow = FakeOrdersUnitOfWork()
    agent, boss = new_id(), new_id()
    hired = EmployeeState(agent, True, frozenset({"AGENT"}), boss, "t-1", 1)
    dismissed = replace(hired, active=False, version=2)
    assert await apply(uow, dismissed, hired) == [True, False]
    assert uow.feed.employees == {agent: dismissed}
    assert uow.events == []


async def test_a_route_assignment_is_kept_as_a_tombstone_once_removed() -> None:
    uow = FakeOrdersUnitOfWork()
    route, outlet, agent = new_id(), new_id(), new_id()
    removal = assignment(route, outlet, agent, 3, removed=True)
    assert await apply(uow, removal, assignment(route, outlet, agent, 2)) == [True, False]
    assert uow.feed.assignments == {(route, outlet): removal}
    async with uow:
        assert await uow.feed_reads.outlet_schedules(outlet) == []


async def test_the_latest_audit_by_submit_time_is_the_outlet_shelf() -> None:
    uow = FakeOrdersUnitOfWork()
    outlet, t = new_id(), datetime(2024, 5, 10, 9, 0, tzinfo=UTC)
    latest = audit(outlet, t, ShelfCount("SKU-1", False, 0, None))
    older = audit(outlet, t - timedelta(days=1), ShelfCount("SKU-2", True, 2, Decimal(4)))
    assert await apply(uow, latest, older) == [True, False]
    async with uow:
        checks = await uow.feed_reads.shelf_checks([outlet])
    assert [(c.sku, c.present) for c in checks[outlet]] == [("SKU-1", False)]


# ------------------------------------------------------------------------ recommendation
async def test_an_agent_route_is_recommended_from_history_and_the_shelf() -> None:
    uow = FakeOrdersUnitOfWork()
    agent, route, client = new_id(), new_id(), new_id()
    water, juice = new_product(sku="SKU-WATER"), new_product(sku="SKU-JUICE", pack_unit="box")
    uow.products.put(water)
    uow.products.put(juice)
    outlet, closed = new_id(), new_id()
    sold = priced_order(quantity="10")  # 10 water delivered a week ago: history
    sold.outlet_id, sold.order_date = outlet, MONDAY - timedelta(days=7)
    sold.lines = [
        replace(ln, product_id=water.id, delivered_base_quantity=ln.base_quantity)
        for ln in sold.lines
    ]
    uow.orders.put(sold)
    await apply(
        uow,
        OutletState(outlet, client, "ACTIVE", 1),
        OutletState(closed, client, "CLOSED", 1),
        assignment(route, outlet, agent, 1),
        assignment(route, closed, agent, 2),
        audit(outlet, datetime(2024, 5, 10, tzinfo=UTC), ShelfCount("SKU-JUICE", False, 0, None)),
    )
    async with uow:
        recs = await recommendation.for_agent(uow, ADMIN, POLICY, agent, MONDAY)
        single = await recommendation.for_outlet(uow, ADMIN, POLICY, outlet, MONDAY)
        with pytest.raises(NotFound, match="outlet_id"):
            await recommendation.for_outlet(uow, ADMIN, POLICY, new_id(), MONDAY)
    assert [r.outlet_id for r in recs] == [outlet]  # the closed outlet is left out
    assert recs == [single]
    by_product = {line.product_id: line for line in single.lines}
    assert set(by_product) == {water.id, juice.id}
    assert by_product[water.id].reason is Reason.SALES_HISTORY
    assert by_product[water.id].explanation.sold_quantity == Decimal(10)
    assert by_product[juice.id].reason is Reason.MUST_STOCK


def test_an_audits_device_time_is_kept_beside_its_submit_time() -> None:
    submitted = datetime(2024, 5, 13, 6, 0, tzinfo=UTC)
    performed = datetime(2024, 4, 28, 22, 30, tzinfo=UTC)
    audit = cres.Audit(id="a-1", outlet_id="o-1")
    audit.submit_time.CopyFrom(timestamp_pb2.Timestamp(seconds=int(submitted.timestamp())))
    envelope = EventEnvelope(event_id=new_id(), aggregate_version=1)
    envelope.payload.Pack(cev.AuditSubmitted(audit=audit))
    record = feed_record(envelope)
    assert isinstance(record, AuditState)
    assert (record.submitted_at, record.performed_at) == (submitted, None)
    audit.performed_at.FromDatetime(performed)
    envelope.payload.Pack(cev.AuditSubmitted(audit=audit))
    record = feed_record(envelope)
    assert isinstance(record, AuditState) and record.performed_at == performed


async def test_the_latest_audit_is_the_latest_by_device_time_then_id() -> None:
    uow = FakeOrdersUnitOfWork()
    newer = AuditState("a-2", "o-1", datetime(2024, 5, 11, tzinfo=UTC), 1, [])
    newer = replace(newer, performed_at=datetime(2024, 5, 11, tzinfo=UTC))
    late_upload = AuditState("a-1", "o-1", datetime(2024, 5, 12, tzinfo=UTC), 1, [])
    late_upload = replace(late_upload, performed_at=datetime(2024, 4, 20, tzinfo=UTC))
    assert await apply(uow, newer, late_upload) == [True, False]


# ---------------------------------------------------------------------- PHONE routes (calls)
def _assignment_event(route_kind: int, *, removed: bool = False) -> EventEnvelope:
    a = cres.RouteAssignment(
        route_id="r-1",
        outlet_id="o-1",
        frequency=cres.VISIT_FREQUENCY_WEEKLY,
        weekdays=[2],
        route_kind=route_kind,
    )
    a.start_date.year, a.start_date.month, a.start_date.day = 2024, 1, 1
    envelope = EventEnvelope(event_id=new_id(), aggregate_version=1)
    envelope.payload.Pack(cev.RouteAssignmentChanged(assignment=a, agent_id="t-1", removed=removed))
    return envelope


@pytest.mark.parametrize(
    ("route_kind", "stored"),
    [
        (cres.ROUTE_KIND_UNSPECIFIED, FIELD_ROUTE),
        (cres.ROUTE_KIND_FIELD, FIELD_ROUTE),
        (cres.ROUTE_KIND_PHONE, PHONE_ROUTE),
    ],
)
def test_an_assignment_keeps_its_route_kind_unspecified_read_as_field(
    route_kind: int, stored: str
) -> None:
    record = feed_record(_assignment_event(route_kind))
    assert isinstance(record, AssignmentState) and record.route_kind == stored


def test_an_assignment_of_an_unknown_route_kind_is_poison_unless_a_removal() -> None:
    with pytest.raises(PoisonMessage, match="route_kind"):
        feed_record(_assignment_event(99))
    record = feed_record(_assignment_event(99, removed=True))
    assert isinstance(record, AssignmentState) and record.removed


async def test_a_phone_route_is_a_schedule_of_calls_and_keeps_its_outlet_in_scope() -> None:
    """A teleseller's call list (PHONE, Tuesdays) is a schedule of calls: the outlet's next
    contact after Monday is Tuesday's call; the teleseller's route holds the outlet."""
    uow = FakeOrdersUnitOfWork()
    outlet, agent, teleseller = new_id(), new_id(), new_id()
    field = assignment(new_id(), outlet, agent, 1)  # Monday and Thursday
    calls = replace(
        assignment(new_id(), outlet, teleseller, 1),
        weekday_mask=weekday_mask({2}),
        route_kind=PHONE_ROUTE,
    )
    await apply(uow, OutletState(outlet, new_id(), "ACTIVE", 1), field, calls)
    async with uow:
        schedules = await uow.feed_reads.outlet_schedules(outlet)
        assert sorted((s.contact, tuple(s.weekdays)) for s in schedules) == [
            (CALL, (2,)),
            (VISIT, (1, 4)),
        ]
        assert (await uow.feed_reads.agent_outlets(teleseller)).outlet_ids == [outlet]
        assert (await uow.feed_reads.agent_outlets(agent)).schedules == {outlet: schedules}
        assert await uow.feed_reads.on_routes([teleseller], outlet)
    assert next_contact(schedules, MONDAY) == (date(2024, 5, 14), CALL)
