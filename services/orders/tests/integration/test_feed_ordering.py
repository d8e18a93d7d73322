"""The feed consumer's handlers, called directly (no NATS) on a real database: version order.

Whatever order the events of one aggregate arrive in, and however often, the read model ends
in the state of the newest one. The rule lives in the conditional upserts of feed_store, so it
is exercised on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
import pytest_asyncio
from google.protobuf import any_pb2, timestamp_pb2
from google.protobuf.message import Message
from google.type import date_pb2
from sqlalchemy import select

from fieldline.clients.events.v1 import events_pb2 as ev
from fieldline.clients.v1 import resources_pb2 as res
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.messaging.consumer import PoisonMessage
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.helpers import new_id
from fieldline_orders.adapters.orm_feed import feed_assignments
from fieldline_orders.bootstrap import App
from fieldline_orders.entrypoints.feed_consumer import handlers

from .feed_harness import create_app

STATUSES = [
    res.OUTLET_STATUS_PENDING,
    res.OUTLET_STATUS_ACTIVE,
    res.OUTLET_STATUS_CLOSED,
    res.OUTLET_STATUS_ACTIVE,
]


@pytest_asyncio.fixture(scope="module")
async def app(db_factory: DatabaseFactory) -> AsyncIterator[App]:
    app = await create_app(await db_factory.create(), "nats://127.0.0.1:9")
    yield app
    await app.close()


async def apply(app: App, message: Message, version: int) -> None:
    payload = any_pb2.Any()
    payload.Pack(message)
    envelope = EventEnvelope(event_id=new_id(), aggregate_version=version, payload=payload)
    handler = handlers(app)[message.DESCRIPTOR.full_name]
    async with app.sessions() as s, s.begin():
        await handler(s, envelope, message)


def outlet_event(outlet_id: str, client_id: str, version: int) -> Message:
    outlet = res.Outlet(
        id=outlet_id, client_id=client_id, status=STATUSES[version - 1], version=version
    )
    if version == 1:
        return ev.OutletCreated(outlet=outlet)
    return ev.OutletChanged(outlet=outlet, changed_fields=["status"])


async def test_outlet_state_is_the_newest_version_in_any_arrival_order(app: App) -> None:
    for order in itertools.permutations([1, 2, 3, 4]):
        outlet_id, client_id = new_id(), new_id()
        for version in (*order, order[0]):  # and the first once more (a duplicate)
            await apply(app, outlet_event(outlet_id, client_id, version), version)
        async with app.read_uow() as uow:
            r = await uow.feed_reads.get_outlet(outlet_id)
        assert r is not None
        assert (r.status, r.version) == ("ACTIVE", 4), order


def assignment_event(
    route_id: str, outlet_id: str, agent_id: str, version: int, removed: bool = False
) -> Message:
    # version v visits on ISO weekday v (1..4), so the surviving row shows which won
    return ev.RouteAssignmentChanged(
        assignment=res.RouteAssignment(
            route_id=route_id,
            outlet_id=outlet_id,
            frequency=res.VISIT_FREQUENCY_WEEKLY,
            weekdays=[version],
            start_date=date_pb2.Date(year=2024, month=1, day=1),
            sequence=version,
        ),
        agent_id=agent_id,
        removed=removed,
    )


@pytest.mark.parametrize("last_removed", [False, True])
async def test_assignment_state_is_the_newest_route_version(app: App, last_removed: bool) -> None:
    for order in itertools.permutations([1, 2, 3, 4]):
        route_id, outlet_id, agent_id = new_id(), new_id(), new_id()
        for version in (*order, order[-1]):
            removed = last_removed and version == 4
            await apply(
                app, assignment_event(route_id, outlet_id, agent_id, version, removed), version
            )
        async with app.read_uow() as uow:
            r = (
                await uow.session.execute(
                    select(feed_assignments).where(feed_assignments.c.route_id == route_id)
                )
            ).one()
            route = await uow.feed_reads.agent_outlets(agent_id)
        assert (r.version, r.weekday_mask, r.sequence, r.removed) == (
            4,
            1 << 4,
            4,
            last_removed,
        ), order
        assert route.outlet_ids == ([] if last_removed else [outlet_id])


def audit_event(outlet_id: str, audit_id: str, submitted: datetime, sku: str) -> Message:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(submitted)
    return ev.AuditSubmitted(
        audit=res.Audit(
            id=audit_id,
            outlet_id=outlet_id,
            must_stock=[res.MustStockCheck(sku=sku, present=False, shelf_quantity="1")],
            submit_time=ts,
        )
    )


async def test_audit_state_is_the_latest_submitted_in_any_arrival_order(app: App) -> None:
    t0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    for order in itertools.permutations(range(4)):
        outlet_id = new_id()
        audits = [(new_id(), t0 + timedelta(hours=i), f"SKU-{i}") for i in range(4)]
        for i in (*order, order[0]):
            audit_id, submitted, sku = audits[i]
            await apply(app, audit_event(outlet_id, audit_id, submitted, sku), 1)
        async with app.read_uow() as uow:
            checks = await uow.feed_reads.shelf_checks([outlet_id])
        assert [c.sku for c in checks[outlet_id]] == ["SKU-3"], order


async def test_same_submit_time_is_decided_by_audit_id(app: App) -> None:
    outlet_id, t = new_id(), datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    low, high = sorted([new_id(), new_id()])
    for audit_id, sku in ((high, "SKU-HIGH"), (low, "SKU-LOW")):
        await apply(app, audit_event(outlet_id, audit_id, t, sku), 1)
    async with app.read_uow() as uow:
        checks = await uow.feed_reads.shelf_checks([outlet_id])
    assert [c.sku for c in checks[outlet_id]] == ["SKU-HIGH"]


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (ev.OutletCreated(outlet=res.Outlet(client_id="c", status=2)), "outlet.id"),
        (ev.OutletCreated(outlet=res.Outlet(id="o", client_id="c")), "status"),
        (
            ev.RouteAssignmentChanged(
                assignment=res.RouteAssignment(
                    route_id="r", outlet_id="o", weekdays=[1], start_date=date_pb2.Date()
                )
            ),
            "frequency",
        ),
        (
            ev.RouteAssignmentChanged(
                assignment=res.RouteAssignment(
                    route_id="r",
                    outlet_id="o",
                    frequency=res.VISIT_FREQUENCY_WEEKLY,
                    weekdays=[8],
                    start_date=date_pb2.Date(year=2024, month=1, day=1),
                )
            ),
            "weekdays",
        ),
        (
            ev.RouteAssignmentChanged(
                assignment=res.RouteAssignment(
                    route_id="r",
                    outlet_id="o",
                    frequency=res.VISIT_FREQUENCY_WEEKLY,
                    weekdays=[1],
                    start_date=date_pb2.Date(),
                )
            ),
            "start_date",
        ),
        (
            ev.AuditSubmitted(
                audit=res.Audit(
                    id="a",
                    outlet_id="o",
                    must_stock=[res.MustStockCheck(sku="S", shelf_quantity="lots")],
                )
            ),
            "shelf_quantity",
        ),
    ],
)
async def test_unusable_events_are_poison(app: App, message: Message, problem: str) -> None:
    with pytest.raises(PoisonMessage, match=problem):
        await apply(app, message, 1)


async def test_a_removal_needs_only_its_key(app: App) -> None:
    route_id, outlet_id = new_id(), new_id()
    removal = ev.RouteAssignmentChanged(
        assignment=res.RouteAssignment(route_id=route_id, outlet_id=outlet_id),
        agent_id=new_id(),
        removed=True,
    )
    await apply(app, removal, 3)
    await apply(app, assignment_event(route_id, outlet_id, new_id(), 2), 2)  # older: ignored
    async with app.read_uow() as uow:
        r = (
            await uow.session.execute(
                select(feed_assignments).where(feed_assignments.c.route_id == route_id)
            )
        ).one()
        assert await uow.feed_reads.outlet_schedules(outlet_id) == []
    assert (r.removed, r.version, r.start_date) == (True, 3, date.min)
