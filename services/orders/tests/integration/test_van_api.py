"""Van-sale over gRPC: a van's day, concurrent sales of the last units, retries, refusals."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import grpc
import pytest
from google.type import money_pb2

from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_orders.adapters import orm, orm_van
from fieldline_orders.adapters.schema import kit

from .orders_harness import (
    Env,
    count,
    dec,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    load,
    new_customer,
    new_van,
    overdue_debt,
    pb_date,
    prices_from,
    q,
    rub,
    sale_request,
    seller_of,
    set_policy,
    today,
    world,
)


async def stock_of(e: Env, van_id: str) -> dict[str, str]:
    reply = await e.orders.vans.GetVanStock(vs.GetVanStockRequest(van_id=van_id))
    return {line.product_id: line.quantity for line in reply.lines}


async def check_ledger(e: Env, van_id: str) -> None:
    """The invariant: for every product, stock = Σ movements, and stock is never negative."""
    async with e.app.read_uow() as uow:
        stock = await uow.vans.stock(van_id)
        ledger = await uow.queries.ledger_balances(van_id)
    assert all(v >= 0 for v in stock.values()), stock
    for pid in set(stock) | set(ledger):
        assert stock.get(pid, Decimal(0)) == ledger.get(pid, Decimal(0)), (pid, stock, ledger)


async def test_a_van_day(env: Env) -> None:
    w = world(env)
    van = await new_van(env)
    c = await new_customer(env, seller=seller_of(van))
    load_id = new_id()
    loaded = await load(
        env, van.id, q(w.beer, "4", "box"), q(w.water, "20"), q(w.beer, "2"), load_id=load_id
    )
    assert {x.product_id: x.quantity for x in loaded.stock.lines} == {
        w.beer.id: "50",
        w.water.id: "20",
    }

    # sell 2 boxes of beer and 5 water, 500 in cash
    sale = await env.orders.vans_as(seller_of(van)).CompleteVanSale(
        sale_request(
            van, c, [ln(w.beer, "2", "box"), ln(w.water, "5")], cash="500.00", receipt="К-17"
        )
    )
    order = sale.order
    assert (order.kind, order.status, order.warehouse_id) == (
        pb.ORDER_KIND_VAN_SALE,
        pb.ORDER_STATUS_DELIVERED,
        van.id,
    )
    assert order.credit.outcome == pb.CREDIT_OUTCOME_ALLOW
    assert [x.delivered_base_quantity for x in order.lines] == ["24", "5"]
    gross = Decimal("799.92") + Decimal("50.00")
    assert dec(order.gross_total) == gross
    assert await stock_of(env, van.id) == {w.beer.id: "26", w.water.id: "15"}

    # the client hands back 2 bottles (from the sale) and 10 empty bottles, into the van
    goods_return = (
        await env.orders.vans_as(seller_of(van)).AcceptReturn(
            vs.AcceptReturnRequest(
                request_id=new_id(),
                return_id=new_id(),
                van_id=van.id,
                client_id=c.client_id,
                outlet_id=c.outlet_id,
                order_id=order.id,
                lines=[vs.ReturnLine(product_id=w.beer.id, quantity="2", reason="бой")],
                containers=[vs.ContainerLine(container_type="bottle-0.5", quantity="10")],
            )
        )
    ).goods_return
    (returned,) = goods_return.lines
    assert (returned.base_quantity, dec(returned.gross_amount)) == ("2", Decimal("66.66"))
    assert [(x.container_type, x.quantity) for x in goods_return.containers] == [
        ("bottle-0.5", "10")
    ]
    assert await stock_of(env, van.id) == {w.beer.id: "28", w.water.id: "15"}

    # end of day: 27 beer counted (1 short), 15 water; 480 handed over (20 short)
    unloading = (
        await env.orders.vans.UnloadVan(
            vs.UnloadVanRequest(
                request_id=new_id(),
                unload_id=new_id(),
                van_id=van.id,
                counted=[
                    vs.VanStockLine(product_id=w.beer.id, quantity="27"),
                    vs.VanStockLine(product_id=w.water.id, quantity="15"),
                ],
                cash_handed_over=rub("480.00"),
            )
        )
    ).unloading
    assert [
        (d.product_id, d.expected, d.counted, d.difference) for d in unloading.discrepancies
    ] == [(w.beer.id, "28", "27", "-1")]
    assert (dec(unloading.cash_expected), dec(unloading.cash_difference)) == (
        Decimal("500.00"),
        Decimal("-20.00"),
    )
    assert await stock_of(env, van.id) == {}
    await check_ledger(env, van.id)

    moves = await env.orders.vans.ListVanMovements(
        vs.ListVanMovementsRequest(van_id=van.id, date=pb_date(today()))
    )
    kinds = [(m.kind, m.product_id, m.quantity) for m in moves.movements]
    assert kinds == [
        (vs.MOVEMENT_KIND_LOAD, w.beer.id, "50"),
        (vs.MOVEMENT_KIND_LOAD, w.water.id, "20"),
        (vs.MOVEMENT_KIND_SALE, w.beer.id, "-24"),
        (vs.MOVEMENT_KIND_SALE, w.water.id, "-5"),
        (vs.MOVEMENT_KIND_RETURN, w.beer.id, "2"),
        (vs.MOVEMENT_KIND_UNLOAD, w.beer.id, "-1"),
        (vs.MOVEMENT_KIND_UNLOAD, w.beer.id, "-27"),
        (vs.MOVEMENT_KIND_UNLOAD, w.water.id, "-15"),
    ]

    # events
    (loaded_ev,) = await published(env.js, "ORDERS", about(load_id), expect=1)
    assert loaded_ev.name == "VanLoaded"
    assert [(x.product_id, x.quantity) for x in loaded_ev.message.lines] == [  # type: ignore[attr-defined]
        (w.beer.id, "50"),
        (w.water.id, "20"),
    ]
    ((name, sold, _),) = await published(env.js, "ORDERS", about(order.id), expect=1)
    assert name == "VanSaleCompleted"
    assert sold.van_id == van.id and sold.receipt_number == "К-17"  # type: ignore[attr-defined]
    assert dec(sold.cash_collected) == Decimal("500.00")  # type: ignore[attr-defined]
    assert [(x.container_type, x.quantity) for x in sold.containers] == [("bottle-0.5", "24")]  # type: ignore[attr-defined]
    assert sold.order == order  # type: ignore[attr-defined]
    ((name, accepted, _),) = await published(env.js, "ORDERS", about(goods_return.id), expect=1)
    assert name == "ReturnAccepted" and accepted.goods_return == goods_return  # type: ignore[attr-defined]
    assert accepted.currency_code == "RUB"  # type: ignore[attr-defined]
    ((name, unloaded, _),) = await published(env.js, "ORDERS", about(unloading.id), expect=1)
    assert name == "VanUnloaded" and unloaded.unloading == unloading  # type: ignore[attr-defined]

    # a second unloading the same day expects no cash already accounted for
    await load(env, van.id, q(w.water, "1"))
    second = (
        await env.orders.vans.UnloadVan(
            vs.UnloadVanRequest(request_id=new_id(), unload_id=new_id(), van_id=van.id, counted=[])
        )
    ).unloading
    assert dec(second.cash_expected) == 0
    assert [(d.expected, d.counted) for d in second.discrepancies] == [("1", "0")]
    await check_ledger(env, van.id)


async def test_two_concurrent_sales_of_the_last_units(env: Env) -> None:
    w = world(env)
    van = await new_van(env)
    await load(env, van.id, q(w.beer, "5"))
    c1, c2 = (
        await new_customer(env, seller=seller_of(van)),
        await new_customer(env, seller=seller_of(van)),
    )
    results = await asyncio.gather(
        env.orders.vans_as(seller_of(van)).CompleteVanSale(
            sale_request(van, c1, [ln(w.beer, "5")])
        ),
        env.orders.vans_as(seller_of(van)).CompleteVanSale(
            sale_request(van, c2, [ln(w.beer, "4")])
        ),
        return_exceptions=True,
    )
    wins = [r for r in results if isinstance(r, vs.CompleteVanSaleResponse)]
    losses = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(wins) == 1 and len(losses) == 1, results
    loss = losses[0]
    assert loss.code() == grpc.StatusCode.FAILED_PRECONDITION
    details = loss.details() or ""
    assert "lines[0].quantity: not enough stock of product" in details
    assert w.beer.sku in details and "requested" in details and "available" in details
    left = 5 - int(wins[0].order.lines[0].base_quantity)
    assert await stock_of(env, van.id) == ({w.beer.id: str(left)} if left else {})
    assert await count(env, orm.orders, orm.orders.c.warehouse_id == van.id) == 1
    await check_ledger(env, van.id)
    # The loser's credit check had reserved its amount; not sold, the reservation is gone.
    loser = c2 if wins[0].order.client_id == c1.client_id else c1
    reply = await env.settlements.api.GetBalance(ss.GetBalanceRequest(client_id=loser.client_id))
    assert dec(reply.balance.reserved) == 0


async def test_many_concurrent_sales_never_drive_stock_negative(env: Env) -> None:
    w = world(env)
    van = await new_van(env)
    await load(env, van.id, q(w.water, "7"))
    customers = [await new_customer(env, seller=seller_of(van)) for _ in range(6)]
    results = await asyncio.gather(
        *(
            env.orders.vans_as(seller_of(van)).CompleteVanSale(
                sale_request(van, c, [ln(w.water, "2")])
            )
            for c in customers
        ),
        return_exceptions=True,
    )
    wins = [r for r in results if isinstance(r, vs.CompleteVanSaleResponse)]
    assert len(wins) == 3, results
    for r in results:
        if not isinstance(r, vs.CompleteVanSaleResponse):
            assert (
                isinstance(r, grpc.aio.AioRpcError)
                and r.code() == grpc.StatusCode.FAILED_PRECONDITION
            )
    assert await stock_of(env, van.id) == {w.water.id: "1"}
    await check_ledger(env, van.id)


async def test_concurrent_sales_of_the_same_products_in_any_order_all_go_through(
    env: Env,
) -> None:
    """Rows are locked in one order, so crossing sales never deadlock (PostgreSQL)."""
    w = world(env)
    van = await new_van(env)
    await load(env, van.id, q(w.beer, "100"), q(w.water, "100"))
    c = await new_customer(env, seller=seller_of(van))
    sales = []
    for i in range(10):
        lines = [ln(w.beer, "1"), ln(w.water, "2")]
        sales.append(sale_request(van, c, lines if i % 2 else lines[::-1]))
    replies = await asyncio.gather(
        *(env.orders.vans_as(seller_of(van)).CompleteVanSale(r) for r in sales)
    )
    assert len({r.order.id for r in replies}) == 10
    assert await stock_of(env, van.id) == {w.beer.id: "90", w.water.id: "80"}
    await check_ledger(env, van.id)


async def test_same_van_sale_three_times_is_one_sale(env: Env) -> None:
    w = world(env)
    van = await new_van(env)
    await load(env, van.id, q(w.beer, "10"))
    c = await new_customer(env, seller=seller_of(van))
    request = sale_request(van, c, [ln(w.beer, "3")], cash="99.99")
    first = await env.orders.vans_as(seller_of(van)).CompleteVanSale(request)
    again = await env.orders.vans_as(seller_of(van)).CompleteVanSale(request)
    retry = vs.CompleteVanSaleRequest()
    retry.CopyFrom(request)  # type: ignore[arg-type]
    retry.request_id = new_id()
    third = await env.orders.vans_as(seller_of(van)).CompleteVanSale(retry)
    assert first == again == third
    # and three more copies at once, under new request ids
    copies = []
    for _ in range(3):
        copy = vs.CompleteVanSaleRequest()
        copy.CopyFrom(request)  # type: ignore[arg-type]
        copy.request_id = new_id()
        copies.append(copy)
    replies = await asyncio.gather(
        *(env.orders.vans_as(seller_of(van)).CompleteVanSale(x) for x in copies)
    )
    assert all(r.order.id == first.order.id for r in replies)
    assert await stock_of(env, van.id) == {w.beer.id: "7"}
    assert await count(env, orm.orders, orm.orders.c.id == first.order.id) == 1
    assert (
        await count(
            env, orm_van.van_movements, orm_van.van_movements.c.document_id == first.order.id
        )
        == 1
    )
    events = await published(env.js, "ORDERS", about(first.order.id), expect=1, settle=1.0)
    assert [e.name for e in events] == ["VanSaleCompleted"]


async def test_concurrent_copies_of_a_sale_of_the_last_units_all_get_the_sale(env: Env) -> None:
    """A retry racing the original must not be told "not enough stock" by its own sale."""
    w = world(env)
    van = await new_van(env)
    await load(env, van.id, q(w.beer, "5"), q(w.water, "5"))
    c = await new_customer(env, seller=seller_of(van))
    request = sale_request(van, c, [ln(w.water, "5"), ln(w.beer, "5")])
    copies = []
    for _ in range(4):
        copy = vs.CompleteVanSaleRequest()
        copy.CopyFrom(request)  # type: ignore[arg-type]
        copy.request_id = new_id()
        copies.append(copy)
    replies = await asyncio.gather(
        *(env.orders.vans_as(seller_of(van)).CompleteVanSale(x) for x in copies)
    )
    assert {r.order.id for r in replies} == {request.sale_id}
    assert await stock_of(env, van.id) == {}
    await check_ledger(env, van.id)


async def test_blocked_van_sale_writes_nothing(env: Env) -> None:
    w = world(env)
    van = await new_van(env)
    await load(env, van.id, q(w.beer, "10"))
    c = await new_customer(env, seller=seller_of(van))
    await set_policy(env, c.client_id, spb.DEBT_POLICY_MODE_BLOCK)
    await overdue_debt(env, c.client_id)
    orders_before, outbox_before = await count(env, orm.orders), await count(env, kit.outbox)
    request = sale_request(van, c, [ln(w.beer, "2")])
    await expect_error(
        env.orders.vans_as(seller_of(van)).CompleteVanSale(request),
        grpc.StatusCode.FAILED_PRECONDITION,
        "credit: the debt policy blocks this sale",
    )
    assert await stock_of(env, van.id) == {w.beer.id: "10"}
    assert (await count(env, orm.orders), await count(env, kit.outbox)) == (
        orders_before,
        outbox_before,
    )
    # a van seller who is also a supervisor (the token's roles) may override with a reason
    request.request_id = new_id()
    request.credit_override.reason = "согласовано с руководителем"
    boss = seller_of(van, "SUPERVISOR")
    order = (await env.orders.vans_as(boss).CompleteVanSale(request)).order
    assert order.credit.outcome == pb.CREDIT_OUTCOME_OVERRIDDEN
    assert order.credit.override_reason == "согласовано с руководителем"
    assert await stock_of(env, van.id) == {w.beer.id: "8"}


async def test_van_sale_policy_only_at_order_submit_allows_van_sales(env: Env) -> None:
    w = world(env)
    van = await new_van(env)
    await load(env, van.id, q(w.water, "1"))
    c = await new_customer(env, seller=seller_of(van))
    await set_policy(env, c.client_id, spb.DEBT_POLICY_MODE_BLOCK, stages=(spb.STAGE_ORDER_SUBMIT,))
    await overdue_debt(env, c.client_id)
    order = (
        await env.orders.vans_as(seller_of(van)).CompleteVanSale(
            sale_request(van, c, [ln(w.water, "1")])
        )
    ).order
    assert order.status == pb.ORDER_STATUS_DELIVERED


@pytest.mark.parametrize(
    ("mutate", "code", "needles"),
    [
        (
            lambda r, w: r.lines[0].__setattr__("product_id", new_id()),
            grpc.StatusCode.NOT_FOUND,
            ("lines[0].product_id",),
        ),
        (
            lambda r, w: r.lines[1].__setattr__("quantity", "0"),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("lines[1].quantity: must be positive",),
        ),
        (
            lambda r, w: r.lines[1].__setattr__("quantity", "-3"),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("lines[1].quantity: must be positive",),
        ),
        (
            lambda r, w: r.lines[0].__setattr__("unit", "pallet"),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("lines[0].unit: 'pallet' is not a unit",),
        ),
        (
            lambda r, w: r.lines[0].__setattr__("quantity", "100"),
            grpc.StatusCode.FAILED_PRECONDITION,
            ("lines[0].quantity: not enough stock", "available 10, requested 100"),
        ),
        (
            lambda r, w: r.cash_collected.CopyFrom(
                money_pb2.Money(currency_code="RUB", units=1, nanos=-1)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("cash_collected.nanos",),
        ),
        (
            lambda r, w: r.cash_collected.CopyFrom(
                money_pb2.Money(currency_code="RUB", units=1, nanos=2_000_000_000)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("cash_collected.nanos",),
        ),
        (
            lambda r, w: r.cash_collected.CopyFrom(
                money_pb2.Money(currency_code="RUB", units=1, nanos=1)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("cash_collected: must have at most 2 decimal places",),
        ),
        (
            lambda r, w: r.cash_collected.CopyFrom(money_pb2.Money(currency_code="RUB", units=-5)),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("cash_collected: must not be negative",),
        ),
        (
            lambda r, w: r.cash_collected.CopyFrom(money_pb2.Money(currency_code="USD", units=5)),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("cash_collected.currency_code",),
        ),
        (
            lambda r, w: r.cash_collected.CopyFrom(
                money_pb2.Money(currency_code="RUB", units=100000)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("cash_collected", "more than the sale's total"),
        ),
        (
            lambda r, w: r.__setattr__("van_id", new_id()),
            grpc.StatusCode.PERMISSION_DENIED,
            ("van_id",),
        ),
        (
            lambda r, w: r.__setattr__("outlet_id", new_id()),
            grpc.StatusCode.PERMISSION_DENIED,
            ("outlet_id",),
        ),
        (
            lambda r, w: r.date.CopyFrom(pb_date(prices_from() - timedelta(days=1))),
            grpc.StatusCode.FAILED_PRECONDITION,
            ("no price list", (prices_from() - timedelta(days=1)).isoformat()),
        ),
    ],
    ids=[
        "unknown product",
        "zero quantity",
        "negative quantity",
        "unit not of the product",
        "not enough stock",
        "money nanos sign",
        "money nanos range",
        "money below kopecks",
        "negative cash",
        "cash in another currency",
        "cash over the total",
        "unknown van (not its own)",
        "unknown outlet (not on its routes)",
        "no price list valid on the date",
    ],
)
async def test_bad_van_sales_are_refused_and_write_nothing(
    env: Env, mutate: object, code: grpc.StatusCode, needles: tuple[str, ...]
) -> None:
    w = world(env)
    van = await new_van(env)
    await load(env, van.id, q(w.beer, "10"), q(w.water, "10"))
    c = await new_customer(env, seller=seller_of(van))
    request = sale_request(van, c, [ln(w.beer, "1"), ln(w.water, "2")], cash="10.00")
    mutate(request, w)  # type: ignore[operator]
    before = (
        await count(env, orm.orders),
        await count(env, kit.outbox),
        await count(env, orm_van.van_movements),
    )
    await expect_error(env.orders.vans_as(seller_of(van)).CompleteVanSale(request), code, *needles)
    after = (
        await count(env, orm.orders),
        await count(env, kit.outbox),
        await count(env, orm_van.van_movements),
    )
    assert after == before
    assert await stock_of(env, van.id) == {w.beer.id: "10", w.water.id: "10"}


async def test_loading_validation_and_retries(env: Env) -> None:
    w = world(env)
    van = await new_van(env)
    movements = await count(env, orm_van.van_movements)
    await expect_error(
        load(env, van.id, q(w.beer, "1"), vs.QuantityLine(product_id=new_id(), quantity="1")),
        grpc.StatusCode.NOT_FOUND,
        "lines[1].product_id",
    )
    await expect_error(
        load(env, van.id, q(w.beer, "0")), grpc.StatusCode.INVALID_ARGUMENT, "lines[0].quantity"
    )
    await expect_error(load(env, new_id(), q(w.beer, "1")), grpc.StatusCode.NOT_FOUND, "van_id")
    assert await count(env, orm_van.van_movements) == movements
    load_id = new_id()
    await load(env, van.id, q(w.beer, "1", "box"), load_id=load_id)
    again = await load(env, van.id, q(w.beer, "1", "box"), load_id=load_id)  # retried document
    assert {x.product_id: x.quantity for x in again.stock.lines} == {w.beer.id: "12"}
    same = await env.orders.vans.CreateVan(vs.CreateVanRequest(request_id=new_id(), van=van))
    assert same.van == van
    await expect_error(
        env.orders.vans.UnloadVan(
            vs.UnloadVanRequest(
                request_id=new_id(),
                unload_id=new_id(),
                van_id=van.id,
                counted=[vs.VanStockLine(product_id=new_id(), quantity="1")],
            )
        ),
        grpc.StatusCode.NOT_FOUND,
        "counted[0].product_id",
    )
    await check_ledger(env, van.id)


async def test_return_to_the_warehouse_at_the_current_price(env: Env) -> None:
    w = world(env)
    van = await new_van(env)
    c = await new_customer(env)
    reply = await env.orders.vans_as(c.agent).AcceptReturn(
        vs.AcceptReturnRequest(
            request_id=new_id(),
            return_id=new_id(),
            client_id=c.client_id,
            outlet_id=c.outlet_id,
            lines=[vs.ReturnLine(product_id=w.water.id, unit="box", quantity="1", reason="срок")],
        )
    )
    (line,) = reply.goods_return.lines
    assert (line.base_quantity, dec(line.unit_price), dec(line.gross_amount)) == (
        "12",
        Decimal("10.00"),
        Decimal("120.00"),
    )
    assert reply.goods_return.van_id == ""
    # returning more than was sold on a sale
    c = await new_customer(env, seller=seller_of(van))
    await load(env, van.id, q(w.water, "3"))
    sale = (
        await env.orders.vans_as(seller_of(van)).CompleteVanSale(
            sale_request(van, c, [ln(w.water, "3")])
        )
    ).order
    await expect_error(
        env.orders.vans_as(seller_of(van)).AcceptReturn(
            vs.AcceptReturnRequest(
                request_id=new_id(),
                return_id=new_id(),
                van_id=van.id,
                client_id=c.client_id,
                outlet_id=c.outlet_id,
                order_id=sale.id,
                lines=[vs.ReturnLine(product_id=w.water.id, quantity="4")],
            )
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "3 delivered",
    )
    await check_ledger(env, van.id)


async def test_vans_are_listed_by_id_and_by_van_seller_page_by_page(env: Env) -> None:
    seller = new_id()
    mine = []
    for n in range(3):
        reply = await env.orders.vans.CreateVan(
            vs.CreateVanRequest(
                request_id=new_id(),
                van=vs.Van(id=new_id(), name=f"Газель {n}", van_seller_id=seller),
            )
        )
        mine.append(reply.van)
    await new_van(env)  # another van seller's
    listed: list[vs.Van] = []
    token = ""
    while True:
        page = await env.orders.vans.ListVans(
            vs.ListVansRequest(van_seller_id=seller, page_size=2, page_token=token)
        )
        listed += page.vans
        token = page.next_page_token
        if not token:
            break
    assert listed == sorted(mine, key=lambda v: v.id)
    everyone = await env.orders.vans.ListVans(vs.ListVansRequest(page_size=1000))
    assert {v.id for v in mine} < {v.id for v in everyone.vans}
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await env.orders.vans.ListVans(vs.ListVansRequest(van_seller_id="seller-1"))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (bad.value.details() or "").startswith("van_seller_id:")
