"""The van use cases on the fake unit of work: what each writes (stock, movements, documents),
the events each commit publishes, and that a refused command changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from fieldline_kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from fieldline_orders.domain import events
from fieldline_orders.domain.access import Actor
from fieldline_orders.domain.catalog import ClientPriceType, Product
from fieldline_orders.domain.feed import AssignmentState, OutletState
from fieldline_orders.domain.orders import Order, OrderKind, OrderStatus
from fieldline_orders.domain.pricing import LineInput
from fieldline_orders.domain.returns import ContainerInput, ReturnLineInput
from fieldline_orders.domain.van import MovementKind, Van
from fieldline_orders.service_layer import van as sl

from .fakes import FakeOrdersUnitOfWork
from .orders_factories import (
    ADMIN,
    ALLOW,
    CLIENT,
    DATES,
    DAY,
    LIMITS,
    NOW,
    OTHER_CLIENT,
    new_id,
    price_list,
    price_type,
)
from .orders_factories import priced_order as new_order
from .orders_factories import product as new_product


@dataclass
class Shop:
    """A van, two products priced for CLIENT, and CLIENT's outlet known to the feed."""

    uow: FakeOrdersUnitOfWork
    van: Van
    beer: Product  # 50.00 a bottle, box of 12, a bottle container each
    water: Product  # 10.00
    outlet_id: str
    seller: Actor  # the van's van seller, the outlet on its route


def on_route(uow: FakeOrdersUnitOfWork, agent_id: str, outlet_id: str) -> None:
    route = new_id()
    uow.feed.assignments[(route, outlet_id)] = AssignmentState(
        route, outlet_id, agent_id, 1, 0b11111, DAY, 1, False, 1
    )


def shop() -> Shop:
    uow = FakeOrdersUnitOfWork(clock=lambda: NOW)
    beer, water = new_product(container="bottle-0.5", per_unit="1"), new_product()
    pt = price_type()
    for p in (beer, water):
        uow.products.put(p)
    uow.price_types.put(pt)
    uow.price_lists.put(price_list(pt, {beer.id: "50.00", water.id: "10.00"}))
    uow.catalog.client_price_types[CLIENT] = ClientPriceType(CLIENT, pt.id)
    outlet_id = new_id()
    uow.feed.outlets[outlet_id] = OutletState(outlet_id, CLIENT, "ACTIVE", 1)
    seller = Actor.of(new_id(), {"VAN_SELLER"})
    on_route(uow, seller.id, outlet_id)
    van = Van.create(id=new_id(), name="ГАЗель", van_seller_id=seller.id, currency="RUB", now=NOW)
    uow.vans.put(van)
    return Shop(uow, van, beer, water, outlet_id, seller)


def published(uow: FakeOrdersUnitOfWork) -> list[type]:
    return [type(e) for e in uow.events]


async def load(
    s: Shop, *lines: tuple[Product, str, str], load_id: str = "", who: Actor | None = None
) -> Any:
    return await s.uow.run(
        lambda u: sl.load_van(
            u,
            NOW,
            who or s.seller,
            load_id=load_id or new_id(),
            van_id=s.van.id,
            on=DAY,
            lines=[sl.QuantityInput(p.id, unit, q) for p, unit, q in lines],
        )
    )


def sale(s: Shop, *lines: tuple[Product, str], **kw: Any) -> sl.VanSaleCommand:
    fields: dict[str, Any] = {
        "sale_id": new_id(),
        "van_id": s.van.id,
        "client_id": CLIENT,
        "outlet_id": s.outlet_id,
        "on": DAY,
        "lines": [LineInput(p.id, "", q) for p, q in lines],
        "cash_collected": Decimal(0),
        "cash_currency": "",
        "receipt_number": "",
        "override_reason": "",
        "actor": s.seller,
    }
    fields.update(kw)
    return sl.VanSaleCommand(**fields)


async def prepare(s: Shop, cmd: sl.VanSaleCommand) -> sl.VanSalePlan:
    async with s.uow as uow:  # a read: never committed
        return await sl.prepare_van_sale(uow, cmd, today=DAY, limits=LIMITS, dates=DATES)


async def sell(s: Shop, *lines: tuple[Product, str], **kw: Any) -> Order:
    plan = await prepare(s, sale(s, *lines, **kw))
    order: Order = await s.uow.run(lambda u: sl.finish_van_sale(u, plan, ALLOW, NOW))
    return order


async def stock(s: Shop) -> dict[str, Decimal]:
    return await s.uow.vans.stock(s.van.id)


# --------------------------------------------------------------------------------- vans
async def test_a_van_is_created_once() -> None:
    uow = FakeOrdersUnitOfWork()
    van_id, seller = new_id(), new_id()

    def create(name: str) -> Callable[[FakeOrdersUnitOfWork], Any]:
        return lambda u: sl.create_van(
            u, NOW, id=van_id, name=name, van_seller_id=seller, currency=""
        )

    van = await uow.run(create("ГАЗель"))
    assert (van.name, van.currency_code, van.version) == ("ГАЗель", "RUB", 1)
    retried = await uow.run(create("Другое имя"))  # a retried create gets the original
    assert retried == van and [v.name for v in uow.vans.all()] == ["ГАЗель"]
    await uow.refused(
        InvalidArgument,
        lambda u: sl.create_van(u, NOW, id=new_id(), name="", van_seller_id=seller, currency=""),
    )


# ------------------------------------------------------------------------------ loading
async def test_a_load_puts_base_units_in_the_van_and_records_them() -> None:
    s = shop()
    load_id = new_id()
    van_id, after = await load(s, (s.beer, "box", "2"), (s.water, "", "5"), load_id=load_id)
    assert (van_id, after) == (s.van.id, {s.beer.id: Decimal(24), s.water.id: Decimal(5)})
    assert await stock(s) == after == s.uow.vans.ledger(s.van.id)
    assert {m.kind for m in s.uow.vans.movements.values()} == {MovementKind.LOAD}
    assert published(s.uow) == [events.VanLoaded]
    # The same load again (a retry) changes nothing and answers the stock.
    assert await load(s, (s.beer, "box", "2"), load_id=load_id) == (s.van.id, after)
    assert await stock(s) == after and published(s.uow) == [events.VanLoaded]


async def test_a_load_refused_changes_nothing() -> None:
    s = shop()
    unknown = new_product()
    err = await s.uow.refused(
        NotFound,
        lambda u: sl.load_van(
            u,
            NOW,
            s.seller,
            load_id=new_id(),
            van_id=s.van.id,
            on=DAY,
            lines=[sl.QuantityInput(s.water.id, "", "5"), sl.QuantityInput(unknown.id, "", "1")],
        ),
    )
    assert "lines[1].product_id" in str(err)
    load_id = new_id()
    await load(s, (s.water, "", "1"), load_id=load_id)
    other = Van.create(id=new_id(), name="Другой", van_seller_id=new_id(), currency="", now=NOW)
    s.uow.vans.put(other)
    await s.uow.refused(
        AlreadyExists,
        lambda u: sl.load_van(u, NOW, ADMIN, load_id=load_id, van_id=other.id, on=DAY, lines=[]),
    )


# ---------------------------------------------------------------------------------- sale
async def test_a_van_sale_is_priced_from_the_van_and_takes_its_stock() -> None:
    s = shop()
    await load(s, (s.beer, "box", "2"), (s.water, "", "10"))
    cmd = sale(s, (s.beer, "12"), (s.water, "3"), cash_collected=Decimal(100), receipt_number="К-1")
    plan = await prepare(s, cmd)
    assert plan.credit is not None and plan.credit.amount == Decimal("630.00")
    assert plan.wanted == {s.beer.id: Decimal(12), s.water.id: Decimal(3)}
    assert s.uow.commits == 1  # preparing wrote nothing

    order = await s.uow.run(lambda u: sl.finish_van_sale(u, plan, ALLOW, NOW))
    assert (order.kind, order.status, order.warehouse_id) == (
        OrderKind.VAN_SALE,
        OrderStatus.DELIVERED,
        s.van.id,
    )
    assert s.uow.orders.rows[(order.id,)] == order
    assert await stock(s) == {s.beer.id: Decimal(12), s.water.id: Decimal(7)}
    assert await stock(s) == s.uow.vans.ledger(s.van.id)
    assert published(s.uow) == [events.VanLoaded, events.VanSaleCompleted]
    sold = s.uow.events[-1]
    assert sold.containers == (("bottle-0.5", Decimal(12)),) and sold.receipt_number == "К-1"
    # A retried sale finds it done.
    again = await prepare(s, sale(s, (s.beer, "12"), sale_id=order.id))
    assert again.existing == order


async def test_a_sale_the_van_cannot_serve_is_refused_before_the_credit_check() -> None:
    s = shop()
    await load(s, (s.beer, "", "5"))
    with pytest.raises(FailedPrecondition, match=r"lines\[0\]\.quantity: not enough stock"):
        await prepare(s, sale(s, (s.beer, "6")))


async def test_a_sale_whose_stock_was_taken_meanwhile_changes_nothing() -> None:
    s = shop()
    await load(s, (s.beer, "", "5"), (s.water, "", "5"))
    plan = await prepare(s, sale(s, (s.water, "1"), (s.beer, "5")))
    await sell(s, (s.beer, "1"))  # another sale takes a bottle between the steps
    err = await s.uow.refused(FailedPrecondition, lambda u: sl.finish_van_sale(u, plan, ALLOW, NOW))
    assert "available 4, requested 5" in str(err)


async def test_who_and_where_a_van_sale_is_for_is_checked() -> None:
    s = shop()
    await load(s, (s.beer, "", "5"))
    pre_sale = new_order(agent_id=s.seller.id)
    s.uow.orders.put(pre_sale)
    with pytest.raises(AlreadyExists, match="already used by a pre-sale order"):
        await prepare(s, sale(s, (s.beer, "1"), sale_id=pre_sale.id))
    # An outlet not on the van seller's routes (known or not) is outside its scope.
    with pytest.raises(PermissionDenied, match=r"outlet_id: .* outside your scope"):
        await prepare(s, sale(s, (s.beer, "1"), outlet_id=new_id()))
    # A client the feed never told of is not found; a known one is the wrong client.
    unknown = new_id()
    with pytest.raises(NotFound, match=f"client_id: client '{unknown}' not found"):
        await prepare(s, sale(s, (s.beer, "1"), client_id=unknown))
    other_outlet = new_id()
    s.uow.feed.outlets[other_outlet] = OutletState(other_outlet, OTHER_CLIENT, "ACTIVE", 1)
    with pytest.raises(InvalidArgument, match="outlet_id: belongs to another client"):
        await prepare(s, sale(s, (s.beer, "1"), client_id=OTHER_CLIENT))
    with pytest.raises(PermissionDenied, match="van_id"):
        await prepare(s, sale(s, (s.beer, "1"), van_id=new_id()))


# ------------------------------------------------------------------------------- returns
def return_of(
    s: Shop,
    *lines: tuple[Product, str],
    order_id: str = "",
    return_id: str = "",
    who: Actor | None = None,
) -> Callable[[FakeOrdersUnitOfWork], Any]:
    return lambda u: sl.accept_return(
        u,
        NOW,
        who or s.seller,
        return_id=return_id or new_id(),
        van_id=s.van.id,
        client_id=CLIENT,
        outlet_id=s.outlet_id,
        order_id=order_id,
        on=DAY,
        lines=[ReturnLineInput(p.id, "", q, "damaged") for p, q in lines],
        containers=[ContainerInput("bottle-0.5", "2")],
    )


async def test_a_return_against_a_sale_goes_back_into_the_van() -> None:
    s = shop()
    await load(s, (s.beer, "", "10"))
    order = await sell(s, (s.beer, "6"))
    return_id = new_id()
    goods_return = await s.uow.run(
        return_of(s, (s.beer, "2"), order_id=order.id, return_id=return_id)
    )
    assert [(ln.product_id, ln.base_quantity) for ln in goods_return.lines] == [
        (s.beer.id, Decimal(2))
    ]
    assert await stock(s) == {s.beer.id: Decimal(6)} == s.uow.vans.ledger(s.van.id)
    assert await s.uow.returns.returned_against(order.id) == {s.beer.id: Decimal(2)}
    assert published(s.uow)[-1] is events.ReturnAccepted
    # a retry answers the same return and changes nothing
    commits = s.uow.commits
    again = await s.uow.run(return_of(s, (s.beer, "2"), order_id=order.id, return_id=return_id))
    assert again == goods_return and await stock(s) == {s.beer.id: Decimal(6)}
    assert s.uow.commits == commits + 1 and published(s.uow).count(events.ReturnAccepted) == 1
    # more than is left of the sale to return is refused, and changes nothing
    err = await s.uow.refused(FailedPrecondition, return_of(s, (s.beer, "5"), order_id=order.id))
    assert "4 left to return" in str(err)


async def test_a_return_from_an_unknown_outlet_is_refused() -> None:
    s = shop()
    s.uow.feed.outlets.clear()
    await s.uow.refused(NotFound, return_of(s, (s.water, "1"), who=ADMIN))


# ----------------------------------------------------------------------------- unloading
async def test_unloading_counts_the_van_empty_and_expects_the_day_cash() -> None:
    s = shop()
    await load(s, (s.beer, "", "10"), (s.water, "", "4"))
    await sell(s, (s.beer, "2"), cash_collected=Decimal(100))
    unload_id = new_id()

    def unload(counted: list[tuple[str, str]], uid: str = "") -> Callable[..., Any]:
        return lambda u: sl.unload_van(
            u,
            NOW,
            s.seller,
            unload_id=uid or unload_id,
            van_id=s.van.id,
            on=DAY,
            counted=counted,
            cash_handed_over=Decimal(90),
            cash_currency="RUB",
        )

    await s.uow.refused(NotFound, unload([(new_id(), "1")]))
    unloading = await s.uow.run(unload([(s.beer.id, "7"), (s.water.id, "4")]))
    assert [(d.product_id, d.expected, d.counted) for d in unloading.discrepancies] == [
        (s.beer.id, Decimal(8), Decimal(7))
    ]
    assert (unloading.cash_expected, unloading.cash_difference) == (Decimal(100), Decimal(-10))
    assert await stock(s) == {s.beer.id: Decimal(0), s.water.id: Decimal(0)}
    assert s.uow.vans.ledger(s.van.id) == await stock(s)
    assert published(s.uow)[-1] is events.VanUnloaded
    # a retry gets the same unloading; a second one that day expects no cash counted already
    assert await s.uow.run(unload([])) == unloading
    second = await s.uow.run(unload([], uid=new_id()))
    assert second.cash_expected == Decimal(0)


# --------------------------------------------------------------------------------- scope
async def test_a_van_seller_acts_on_its_own_van_at_the_outlets_of_its_routes_only() -> None:
    s = shop()
    await load(s, (s.beer, "", "10"))
    order = await sell(s, (s.beer, "2"))
    other = Actor.of(new_id(), {"VAN_SELLER"})
    on_route(s.uow, other.id, s.outlet_id)  # even at an outlet of its own routes
    before = s.uow.state()
    with pytest.raises(PermissionDenied, match="van_id"):
        await prepare(s, sale(s, (s.beer, "1"), actor=other))
    with pytest.raises(PermissionDenied, match="sale_id"):  # another's sale, retried
        await prepare(s, sale(s, (s.beer, "1"), actor=other, sale_id=order.id))
    await s.uow.refused(PermissionDenied, lambda u: load(s, (s.beer, "", "1"), who=other))
    await s.uow.refused(PermissionDenied, return_of(s, (s.beer, "1"), who=other))
    await s.uow.refused(
        PermissionDenied,
        lambda u: sl.unload_van(
            u,
            NOW,
            other,
            unload_id=new_id(),
            van_id=s.van.id,
            on=DAY,
            counted=[],
            cash_handed_over=Decimal(0),
            cash_currency="",
        ),
    )
    assert s.uow.state() == before
    # Its own van, at an outlet not on its routes: refused too.
    outside = new_id()
    s.uow.feed.outlets[outside] = OutletState(outside, CLIENT, "ACTIVE", 1)
    with pytest.raises(PermissionDenied, match="outlet_id"):
        await prepare(s, sale(s, (s.beer, "1"), outlet_id=outside))
    async with s.uow as uow:
        with pytest.raises(NotFound, match="van_id"):
            await sl.van_stock(uow, other, s.van.id)
        assert (await sl.van_stock(uow, s.seller, s.van.id))[0] == s.van.id
        assert (await sl.van_stock(uow, ADMIN, s.van.id))[0] == s.van.id
