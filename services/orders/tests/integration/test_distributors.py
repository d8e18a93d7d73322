"""Distributors in orders (issue 15, increment 7; docs/contexts/sales-gaps.md 3.3), over real
gRPC, NATS and databases:

* `feed_clients` from clients' ClientCreated/ClientChanged: each client's type, the newest
  event winning; what it holds decides the distributor check;
* the check on SubmitOrder and CreateVan: an unknown distributor NOT_FOUND, a client of
  another type INVALID_ARGUMENT, each naming its field, nothing written;
* a van sale from a distributor's van is the distributor's (`distributor_id` kept, in its
  VanSaleCompleted too; settlements books it as any other);
* a distributor manager reads its distributor's vans, their stock and ledger, and reports the
  status of its distributor's orders, never another's nor the company's.

SetDistributorPriceType's own check: test_distributor_prices.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import fields

import grpc
from sqlalchemy import select

from fieldline.clients.v1 import resources_pb2 as res
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import eventually_value, expect_error, new_id
from fieldline_kit.testing.service import RunningService
from fieldline_orders.adapters import orm, orm_van
from fieldline_orders.adapters.orm_feed import feed_clients
from fieldline_orders.adapters.schema import kit

from .feed_harness import FeedEnv
from .orders_harness import (
    Env,
    a_client_of_type,
    count,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    load,
    manager_of,
    new_customer,
    new_distributor,
    new_van,
    q,
    sale_request,
    seller_of,
    submit,
    submit_request,
    world,
)

S = pb


def feed_of(e: Env) -> FeedEnv:
    """The running orders service as the clients feed's harness (publishing clients' events to
    its `orders-clients-feed` consumer)."""
    shared = {f.name: getattr(e.orders, f.name) for f in fields(RunningService) if f.init}
    return FeedEnv(**shared)


async def client_type(e: Env, client_id: str) -> tuple[str, int] | None:
    async with e.app.sessions() as s:
        row = (
            await s.execute(
                select(feed_clients.c.type, feed_clients.c.version).where(
                    feed_clients.c.client_id == client_id
                )
            )
        ).first()
    return None if row is None else (row.type, row.version)


# ------------------------------------------------------------------------------- the feed
async def test_the_feed_keeps_each_clients_type_and_the_check_follows_it(env: Env) -> None:
    feed, w = feed_of(env), world(env)
    c = await new_customer(env)
    d = new_id()
    await feed.wait_processed(await feed.client(d, res.CLIENT_TYPE_RETAIL, 1))
    assert await client_type(env, d) == ("RETAIL", 1)
    await expect_error(
        env.orders.orders_as(c.agent).SubmitOrder(
            submit_request(c, [ln(w.water, "1")], distributor_id=d)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        f"distributor_id: client {d} is not a distributor",
    )
    # It becomes a distributor (v3); v2 (a key account), published late, changes nothing.
    ids = [
        await feed.client(d, res.CLIENT_TYPE_DISTRIBUTOR, 3),
        await feed.client(d, res.CLIENT_TYPE_KEY_ACCOUNT, 2),
        await feed.client(d, res.CLIENT_TYPE_RETAIL, 1, created=True),
    ]
    await feed.wait_processed(*ids)
    assert await client_type(env, d) == ("DISTRIBUTOR", 3)
    order = await submit(env, c, submit_request(c, [ln(w.water, "1")], distributor_id=d))
    assert order.distributor_id == d
    # A client event without a type cannot be applied: dead-lettered, the type kept.
    bad = await feed.client(d, res.CLIENT_TYPE_UNSPECIFIED, 4)
    await feed.wait_processed(bad)
    dl = kit.dead_letter
    async with env.app.sessions() as s:
        error = await s.scalar(select(dl.c.error).where(dl.c.event_id == bad))
    assert error is not None and "client type is unspecified" in error
    assert await client_type(env, d) == ("DISTRIBUTOR", 3)


# ------------------------------------------------------------------------------ the check
async def test_an_order_naming_no_distributor_is_refused_and_nothing_written(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    retail, unknown = await a_client_of_type(env, "RETAIL"), new_id()
    cases = [
        (unknown, grpc.StatusCode.NOT_FOUND, f"distributor_id: client '{unknown}' not found"),
        (retail, grpc.StatusCode.INVALID_ARGUMENT, f"client {retail} is not a distributor"),
        ("D-17", grpc.StatusCode.INVALID_ARGUMENT, "distributor_id"),
    ]
    for distributor_id, code, needle in cases:
        request = submit_request(c, [ln(w.water, "1")], distributor_id=distributor_id)
        await expect_error(env.orders.orders_as(c.agent).SubmitOrder(request), code, needle)
        assert await count(env, orm.orders, orm.orders.c.id == request.order_id) == 0
        assert (
            await count(env, kit.idempotency, kit.idempotency.c.key.contains(request.request_id))
            == 0
        )


async def test_each_order_of_a_batch_gets_its_own_distributor_check(env: Env) -> None:
    """Concurrent orders (coalesced into batches) naming a distributor, a shop, none and an
    unknown client: each answered as it would be alone."""
    w = world(env)
    c = await new_customer(env)
    distributor, retail = await new_distributor(env), await a_client_of_type(env, "RETAIL")
    named = [distributor, retail, "", new_id(), distributor]
    requests = [submit_request(c, [ln(w.water, "1")], distributor_id=d) for d in named]
    replies = await asyncio.gather(
        *(env.orders.orders_as(c.agent).SubmitOrder(r) for r in requests),
        return_exceptions=True,
    )
    codes = [
        r.code() if isinstance(r, grpc.aio.AioRpcError) else r.order.distributor_id  # type: ignore[union-attr]
        for r in replies
    ]
    assert codes == [
        distributor,
        grpc.StatusCode.INVALID_ARGUMENT,
        "",
        grpc.StatusCode.NOT_FOUND,
        distributor,
    ]
    written = orm.orders.c.id.in_([r.order_id for r in requests])
    assert await count(env, orm.orders, written) == 3


async def test_a_van_naming_no_distributor_is_refused_and_nothing_written(env: Env) -> None:
    retail, unknown = await a_client_of_type(env, "RETAIL"), new_id()
    cases = [
        (unknown, grpc.StatusCode.NOT_FOUND, f"van.distributor_id: client '{unknown}' not found"),
        (
            retail,
            grpc.StatusCode.INVALID_ARGUMENT,
            f"van.distributor_id: client {retail} is not a distributor",
        ),
        ("D-17", grpc.StatusCode.INVALID_ARGUMENT, "van.distributor_id"),
    ]
    for distributor_id, code, needle in cases:
        van = vs.Van(
            id=new_id(), name="ГАЗель", van_seller_id=new_id(), distributor_id=distributor_id
        )
        await expect_error(
            env.orders.vans.CreateVan(vs.CreateVanRequest(request_id=new_id(), van=van)),
            code,
            needle,
        )
        assert await count(env, orm_van.vans, orm_van.vans.c.id == van.id) == 0
    # A distributor's van: the distributor shown and stored; a retry answers it as made.
    distributor = await new_distributor(env)
    van = vs.Van(id=new_id(), name="ГАЗель", van_seller_id=new_id(), distributor_id=distributor)
    request = vs.CreateVanRequest(request_id=new_id(), van=van)
    created = (await env.orders.vans.CreateVan(request)).van
    assert (created.distributor_id, created.currency_code) == (distributor, "RUB")
    assert (await env.orders.vans.CreateVan(request)).van == created
    other = vs.Van(id=van.id, name="x", van_seller_id=new_id())  # the id taken: the original
    again = vs.CreateVanRequest(request_id=new_id(), van=other)
    assert (await env.orders.vans.CreateVan(again)).van == created


# ---------------------------------------------------------------------------- van sales
async def test_a_sale_from_a_distributors_van_is_the_distributors(env: Env) -> None:
    w = world(env)
    distributor = await new_distributor(env)
    van = await new_van(env, distributor)
    seller = seller_of(van)
    await load(env, van.id, q(w.water, "10"))
    c = await new_customer(env, seller=seller)
    request = sale_request(van, c, [ln(w.water, "2")], cash="20.00")
    sale = (await env.orders.vans_as(seller).CompleteVanSale(request)).order
    assert (sale.kind, sale.distributor_id, sale.warehouse_id) == (
        S.ORDER_KIND_VAN_SALE,
        distributor,
        van.id,
    )
    got = await env.orders.orders.GetOrder(os_.GetOrderRequest(order_id=sale.id))
    assert got.order.distributor_id == distributor
    ((name, completed, _),) = await published(env.js, "ORDERS", about(sale.id), expect=1)
    assert name == "VanSaleCompleted"
    assert completed.order.distributor_id == distributor  # type: ignore[attr-defined]
    # Settlements books it as any sale: its invoice.
    invoices = await eventually_value(
        lambda: env.settlements.api.ListInvoices(ss.ListInvoicesRequest(client_id=c.client_id)),
        lambda found: any(i.order_id == sale.id for i in found.invoices),
    )
    assert [i.order_id for i in invoices.invoices] == [sale.id]
    # Its manager sees the sale; a sale from the company's van stays the company's.
    manager = await manager_of(env, distributor)
    seen = await env.orders.orders_as(manager).GetOrder(os_.GetOrderRequest(order_id=sale.id))
    assert seen.order.id == sale.id
    ours = await new_van(env)
    await load(env, ours.id, q(w.water, "1"))
    shop = await new_customer(env, seller=seller_of(ours))
    own_sale = await env.orders.vans_as(seller_of(ours)).CompleteVanSale(
        sale_request(ours, shop, [ln(w.water, "1")])
    )
    assert own_sale.order.distributor_id == ""


# ------------------------------------------------------------------------ the manager
async def test_a_manager_reads_its_distributors_vans_and_nothing_else(env: Env) -> None:
    w = world(env)
    distributor, other = await new_distributor(env), await new_distributor(env)
    vans = [await new_van(env, distributor), await new_van(env, distributor)]
    theirs, company = await new_van(env, other), await new_van(env)
    for van in (vans[0], theirs, company):
        await load(env, van.id, q(w.water, "3"))
    manager = env.orders.vans_as(await manager_of(env, distributor))
    listed = await manager.ListVans(vs.ListVansRequest(page_size=1))
    rest = await manager.ListVans(vs.ListVansRequest(page_token=listed.next_page_token))
    assert sorted(v.id for v in [*listed.vans, *rest.vans]) == sorted(v.id for v in vans)
    assert [v.distributor_id for v in rest.vans] == [distributor]
    one_seller = await manager.ListVans(vs.ListVansRequest(van_seller_id=vans[1].van_seller_id))
    assert [v.id for v in one_seller.vans] == [vans[1].id]
    elsewhere = await manager.ListVans(vs.ListVansRequest(van_seller_id=theirs.van_seller_id))
    assert list(elsewhere.vans) == []
    stock = await manager.GetVanStock(vs.GetVanStockRequest(van_id=vans[0].id))
    assert [(x.product_id, x.quantity) for x in stock.lines] == [(w.water.id, "3")]
    moves = await manager.ListVanMovements(vs.ListVanMovementsRequest(van_id=vans[0].id))
    assert [(m.kind, m.quantity) for m in moves.movements] == [(vs.MOVEMENT_KIND_LOAD, "3")]
    for hidden in (theirs, company):
        await expect_error(
            manager.GetVanStock(vs.GetVanStockRequest(van_id=hidden.id)),
            grpc.StatusCode.NOT_FOUND,
            "van_id",
        )
        await expect_error(
            manager.ListVanMovements(vs.ListVanMovementsRequest(van_id=hidden.id)),
            grpc.StatusCode.NOT_FOUND,
            "van_id",
        )
    # It reads; it acts on none of them.
    await expect_error(
        manager.LoadVan(
            vs.LoadVanRequest(
                request_id=new_id(), load_id=new_id(), van_id=vans[0].id, lines=[q(w.water, "1")]
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "no role admitted",
    )


async def test_a_manager_reports_its_distributors_orders_status_only(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    distributor, other = await new_distributor(env), await new_distributor(env)
    ours = await submit(env, c, submit_request(c, [ln(w.water, "2")], distributor_id=distributor))
    theirs = await submit(env, c, submit_request(c, [ln(w.water, "1")], distributor_id=other))
    company = await submit(env, c, submit_request(c, [ln(w.water, "1")]))
    boss = await manager_of(env, distributor)
    manager = env.orders.orders_as(boss)

    def report(order_id: str, status: int, **kw: object) -> os_.UpdateOrderStatusRequest:
        return os_.UpdateOrderStatusRequest(
            request_id=new_id(),
            order_id=order_id,
            status=status,
            **kw,  # type: ignore[arg-type]
        )

    for step in (S.ORDER_STATUS_CONFIRMED, S.ORDER_STATUS_SHIPPED, S.ORDER_STATUS_DELIVERED):
        moved = (await manager.UpdateOrderStatus(report(ours.id, step))).order
        assert moved.status == step
    assert [ln.delivered_base_quantity for ln in moved.lines] == ["2"]
    # Recorded as reported by the manager.
    history = orm.order_status_history
    async with env.app.sessions() as s:
        reporters = (
            await s.scalars(
                select(history.c.reported_by).where(
                    history.c.order_id == ours.id, history.c.status != "submitted"
                )
            )
        ).all()
    assert reporters and set(reporters) == {boss.subject}
    # Another distributor's order, the company's, one that does not exist: denied, unchanged.
    for order_id in (theirs.id, company.id, new_id()):
        await expect_error(
            manager.UpdateOrderStatus(report(order_id, S.ORDER_STATUS_CONFIRMED)),
            grpc.StatusCode.PERMISSION_DENIED,
            "order_id",
        )
    for order in (theirs, company):
        got = await env.orders.orders.GetOrder(os_.GetOrderRequest(order_id=order.id))
        assert (got.order.status, got.order.version) == (order.status, order.version)
    # A manager clients gives no distributor reports nothing.
    stranger = env.orders.orders_as(await manager_of(env, ""))
    await expect_error(
        stranger.UpdateOrderStatus(report(company.id, S.ORDER_STATUS_CONFIRMED)),
        grpc.StatusCode.PERMISSION_DENIED,
        "order_id",
    )
