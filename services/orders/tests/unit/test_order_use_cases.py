"""Order status updates and the fulfilment report on the fake unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fieldline_kit.errors import FailedPrecondition, InvalidArgument, NotFound
from fieldline_orders.domain import events
from fieldline_orders.domain.access import Actor
from fieldline_orders.domain.orders import Order, OrderStatus
from fieldline_orders.service_layer import orders as sl

from .fakes import FakeOrdersUnitOfWork
from .orders_factories import ADMIN, BLOCK, DAY, NOW, new_id, priced_order

MOSCOW = ZoneInfo("Europe/Moscow")
ERP = Actor.of("svc:exchange", {"SERVICE"}, "service")
S = OrderStatus


def move(
    order_id: str, status: OrderStatus | None, at: datetime = NOW, **kw: Any
) -> Callable[[FakeOrdersUnitOfWork], Any]:
    who = kw.pop("who", ERP)
    fields: dict[str, Any] = {"delivered": (), "reason": ""}
    fields.update(kw)
    return lambda u: sl.update_status(u, at, who, order_id=order_id, status=status, **fields)


def seeded(*orders: Order) -> FakeOrdersUnitOfWork:
    uow = FakeOrdersUnitOfWork(clock=lambda: NOW)
    for o in orders:
        uow.orders.put(o)
    return uow


# ------------------------------------------------------------------------------- status
async def test_a_status_change_is_saved_with_its_history_and_published() -> None:
    order = priced_order()
    uow = seeded(order)
    confirmed = await uow.run(move(order.id, S.CONFIRMED, reason="ok"))
    assert (confirmed.status, confirmed.version) == (S.CONFIRMED, 2)
    assert uow.orders.rows[(order.id,)] == confirmed
    assert [(h.status, h.reported_by) for h in uow.orders.history[order.id]] == [
        (S.SUBMITTED, order.agent_id),
        (S.CONFIRMED, "svc:exchange"),  # who reported it: the caller
    ]
    assert [type(e) for e in uow.events] == [events.OrderConfirmed]
    # The same status again is a no-op: nothing saved, nothing published.
    again = await uow.run(move(order.id, S.CONFIRMED))
    assert again.version == 2 and len(uow.events) == 1


async def test_a_partial_delivery_keeps_the_delivered_quantities() -> None:
    order = priced_order(quantity="10")
    uow = seeded(order)
    await uow.run(move(order.id, S.SHIPPED))
    pid = order.lines[0].product_id
    done = await uow.run(move(order.id, S.PARTIALLY_DELIVERED, delivered=[(pid, "4")]))
    assert (
        uow.orders.rows[(order.id,)].lines[0].delivered_base_quantity
        == Decimal(4)
        == (done.lines[0].delivered_base_quantity)
    )
    assert [type(e) for e in uow.events] == [events.OrderStatusChanged] * 2


@pytest.mark.parametrize(
    ("status", "error"),
    [(S.DELIVERED, FailedPrecondition), (None, InvalidArgument)],
)
async def test_a_refused_status_change_changes_nothing(
    status: OrderStatus | None, error: type[Exception]
) -> None:
    order = priced_order()
    uow = seeded(order)
    before = uow.state()
    with pytest.raises(error):
        await uow.run(move(order.id, status))
    assert uow.state() == before and uow.commits == 0 and uow.events == []
    with pytest.raises(NotFound, match="order_id"):
        await uow.run(move(new_id(), S.CONFIRMED))


# ------------------------------------------------------------------------------- report
async def test_the_fulfilment_report_counts_what_went_to_fulfilment() -> None:
    on_time, late, held = (
        priced_order(quantity="10"),
        priced_order(quantity="6"),
        priced_order(BLOCK),
    )
    uow = seeded(on_time, late, held)
    await uow.run(move(on_time.id, S.SHIPPED))
    await uow.run(move(on_time.id, S.DELIVERED))
    # Delivered at 23:30 UTC two days later: the next day in Moscow, after the deadline.
    await uow.run(move(late.id, S.SHIPPED))
    evening = datetime(DAY.year, DAY.month, DAY.day, 23, 30, tzinfo=UTC) + timedelta(days=2)
    await uow.run(move(late.id, S.DELIVERED, at=evening))

    async with uow:
        rows = await sl.fulfilment_report(
            uow,
            ADMIN,
            from_date=DAY,
            to_date=DAY,
            distributor_id="",
            agent_id="",
            late_after_days=2,
            today=DAY + timedelta(days=10),
            tz=MOSCOW,
        )
    company = rows[0]
    assert (company.dimension, company.key, company.orders) == ("distributor", "", 2)
    assert (company.ordered, company.delivered) == (Decimal(16), Decimal(16))
    assert company.late_order_ids == [late.id]
    assert {r.key for r in rows[1:]} == {on_time.agent_id, late.agent_id}
    assert held.id not in [i for r in rows for i in r.late_order_ids]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"late_after_days": -1}, "late_after_days"),
        ({"late_after_days": 2**31 - 1}, "late_after_days"),  # no date that far
        ({"from_date": DAY, "to_date": DAY - timedelta(days=1)}, "to_date"),
    ],
)
async def test_a_fulfilment_report_with_bad_bounds_is_refused(
    kw: dict[str, Any], field: str
) -> None:
    args: dict[str, Any] = {
        "from_date": None,
        "to_date": None,
        "distributor_id": "",
        "agent_id": "",
        "late_after_days": 0,
        "today": DAY,
        "tz": MOSCOW,
    }
    args.update(kw)
    uow = FakeOrdersUnitOfWork()
    async with uow:
        with pytest.raises(InvalidArgument, match=field):
            await sl.fulfilment_report(uow, ADMIN, **args)


async def test_the_fulfilment_report_keeps_to_the_callers_scope() -> None:
    mine, theirs = priced_order(), priced_order()
    uow = seeded(mine, theirs)
    for o in (mine, theirs):
        await uow.run(move(o.id, S.CONFIRMED))
    args: dict[str, Any] = {
        "from_date": DAY,
        "to_date": DAY,
        "distributor_id": "",
        "late_after_days": 0,
        "today": DAY,
        "tz": MOSCOW,
    }
    agent = Actor.of(mine.agent_id, {"AGENT"})
    # A distributor manager's distributor is not known yet: nothing (domain/access.py).
    manager = Actor.of(new_id(), {"DISTRIBUTOR_MANAGER"})
    async with uow:
        own = await sl.fulfilment_report(uow, agent, agent_id="", **args)
        other = await sl.fulfilment_report(uow, agent, agent_id=theirs.agent_id, **args)
        none = await sl.fulfilment_report(uow, manager, agent_id="", **args)
        everyone = await sl.fulfilment_report(uow, ADMIN, agent_id="", **args)
    assert {r.key for r in own if r.dimension == "agent"} == {mine.agent_id}
    assert other == [] and none == []
    assert {r.key for r in everyone if r.dimension == "agent"} == {mine.agent_id, theirs.agent_id}
