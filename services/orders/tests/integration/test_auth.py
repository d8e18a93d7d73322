"""Identity and access over real gRPC (issue 11): who may call, and on what.

* every RPC without a token is UNAUTHENTICATED; every RPC as a principal its rule does not
  admit is PERMISSION_DENIED, and nothing is written;
* agent A cannot read or change agent B's orders, outlets or prices, nor van seller A sell
  from, load, unload or read van seller B's van (table-driven over the RPCs that name them);
* a body can no longer say who acts: the removed `actor` field, sent anyway, changes nothing.

The override path (a real SUPERVISOR token overrides a BLOCK, an AGENT token does not) is in
test_orders_api.py and test_van_api.py, with settlements running its policy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from sqlalchemy import func, select

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import promotions_service_pb2 as ps
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline_kit.testing.auth import Caller, bad_tokens
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_orders.adapters.schema import metadata
from fieldline_orders.entrypoints.policy import POLICY

from .identity import supervisor, van_seller
from .orders_harness import (
    Customer,
    Env,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    manager_of,
    new_customer,
    new_distributor,
    overdue_debt,
    set_policy,
    submit,
    submit_request,
    supervisor_of,
    world,
)

SERVICES = [
    cs.DESCRIPTOR.services_by_name["CatalogService"],
    os_.DESCRIPTOR.services_by_name["OrdersService"],
    vs.DESCRIPTOR.services_by_name["VanService"],
    ps.DESCRIPTOR.services_by_name["PromotionsService"],
]
METHODS = [m for service in SERVICES for m in service.methods]
ROLES = {
    "AGENT",
    "VAN_SELLER",
    "MERCHANDISER",
    "DISTRIBUTOR_MANAGER",
    "SUPERVISOR",
    "TECHNICIAN",
    "TELESELLER",
    "ADMIN",
    "SERVICE",
}
# Rows the service writes meanwhile on its own are not "written" by a call: the re-check's
# lease, and what the clients feed consumer applies (the session's NATS carries the events of
# other test modules' clients services).
QUIET = {
    "job_leases",
    "inbox",
    "dead_letter",
    "feed_clients",
    "feed_outlets",
    "feed_assignments",
    "feed_outlet_audits",
    "feed_shelf_counts",
    "feed_employees",
    "feed_visits",
    "feed_territories",
}


def call(channel: grpc.aio.Channel, method: MethodDescriptor) -> Any:
    """The RPC as a callable on `channel`, taking its (empty) request message."""
    response = message_factory.GetMessageClass(method.output_type)
    return channel.unary_unary(
        f"/{method.containing_service.full_name}/{method.name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response.FromString,
    )


def empty_request(method: MethodDescriptor) -> Any:
    return message_factory.GetMessageClass(method.input_type)()


async def rows(env: Env) -> dict[str, int]:
    """Row counts of every table of the service (its own and the kit's)."""
    tables = metadata.sorted_tables  # the service's tables and the kit's (outbox, …)
    async with env.app.sessions() as s:
        return {
            t.name: int((await s.execute(select(func.count()).select_from(t))).scalar_one())
            for t in tables
            if t.name not in QUIET
        }


# ---------------------------------------------------------------------------- the rules
@pytest.mark.parametrize("method", METHODS, ids=[m.name for m in METHODS])
async def test_every_rpc_without_a_token_or_with_a_bad_one_is_unauthenticated(
    env: Env, method: MethodDescriptor
) -> None:
    before = await rows(env)
    async with grpc.aio.insecure_channel(env.orders.target) as bare:
        rpc = call(bare, method)
        await expect_error(rpc(empty_request(method)), grpc.StatusCode.UNAUTHENTICATED, "token")
        for what, token in bad_tokens().items():
            error = await expect_error(
                rpc(empty_request(method), metadata=(("authorization", f"Bearer {token}"),)),
                grpc.StatusCode.UNAUTHENTICATED,
            )
            assert token not in (error.details() or ""), what
    assert await rows(env) == before


@pytest.mark.parametrize("method", METHODS, ids=[m.name for m in METHODS])
async def test_every_rpc_refuses_a_principal_its_rule_does_not_admit(
    env: Env, method: MethodDescriptor
) -> None:
    """Every role but those of the rule (and a technician, admitted nowhere): refused before
    the servicer runs, nothing written."""
    outsiders = ROLES - POLICY[method.name].roles
    before = await rows(env)
    for roles in ({"TECHNICIAN"}, outsiders):
        if not roles:
            continue
        channel = env.orders.channel_as(Caller(new_id(), roles))
        await expect_error(
            call(channel, method)(empty_request(method)),
            grpc.StatusCode.PERMISSION_DENIED,
            "no role admitted",
        )
    assert await rows(env) == before


# ------------------------------------------------------------------------------ the scope
@dataclass
class Scene:
    """Agents A and B, each with a customer and an order; van sellers A and B, each with a
    van and a sale from it; a distributor manager."""

    a: Caller
    b: Caller
    ca: Customer
    cb: Customer
    order_a: pb.Order
    order_b: pb.Order
    seller_a: Caller
    seller_b: Caller
    van_a: vs.Van
    van_b: vs.Van
    sale_a: pb.Order
    shop_a: Customer  # on van seller A's route
    manager: Caller
    boss_a: Caller  # supervises agent A and van seller A


async def scene(env: Env) -> Scene:
    w = world(env)
    ca, cb = await new_customer(env), await new_customer(env)
    order_a = await submit(env, ca, submit_request(ca, [ln(w.water, "1")]))
    order_b = await submit(env, cb, submit_request(cb, [ln(w.water, "1")]))
    seller_a, seller_b = van_seller(), van_seller()
    vans = []
    for seller in (seller_a, seller_b):
        reply = await env.orders.vans.CreateVan(
            vs.CreateVanRequest(
                request_id=new_id(),
                van=vs.Van(id=new_id(), name="ГАЗель", van_seller_id=seller.subject),
            )
        )
        vans.append(reply.van)
        await env.orders.vans.LoadVan(
            vs.LoadVanRequest(
                request_id=new_id(),
                load_id=new_id(),
                van_id=reply.van.id,
                lines=[vs.QuantityLine(product_id=w.water.id, quantity="10")],
            )
        )
    shop_a = await new_customer(env, seller=seller_a)
    sale_a = (
        await env.orders.vans_as(seller_a).CompleteVanSale(
            vs.CompleteVanSaleRequest(
                request_id=new_id(),
                sale_id=new_id(),
                van_id=vans[0].id,
                client_id=shop_a.client_id,
                outlet_id=shop_a.outlet_id,
                lines=[ln(w.water, "1")],
            )
        )
    ).order
    manager = Caller(new_id(), {"DISTRIBUTOR_MANAGER"})
    boss_a = await supervisor_of(env, ca.agent, seller_a)
    return Scene(
        ca.agent,
        cb.agent,
        ca,
        cb,
        order_a,
        order_b,
        seller_a,
        seller_b,
        vans[0],
        vans[1],
        sale_a,
        shop_a,
        manager,
        boss_a,
    )


Attempt = Callable[[Env, Scene], Awaitable[Any]]
DENIED, HIDDEN = grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND


def _resubmit(e: Env, s: Scene) -> Awaitable[Any]:
    request = submit_request(s.ca, [ln(world(e).water, "1")], order_id=s.order_a.id)
    return e.orders.orders_as(s.b).SubmitOrder(request)


def _sell_from(van: Callable[[Scene], vs.Van], sale_id: Callable[[Scene], str]) -> Attempt:
    def attempt(e: Env, s: Scene) -> Awaitable[Any]:
        return e.orders.vans_as(s.seller_b).CompleteVanSale(
            vs.CompleteVanSaleRequest(
                request_id=new_id(),
                sale_id=sale_id(s),
                van_id=van(s).id,
                client_id=s.shop_a.client_id,
                outlet_id=s.shop_a.outlet_id,
                lines=[ln(world(e).water, "1")],
            )
        )

    return attempt


OUTSIDE: list[tuple[str, Attempt, grpc.StatusCode, str]] = [
    (
        "agent B reads A's order",
        lambda e, s: e.orders.orders_as(s.b).GetOrder(os_.GetOrderRequest(order_id=s.order_a.id)),
        HIDDEN,
        "order_id",
    ),
    ("agent B submits A's order again", _resubmit, DENIED, "order_id"),
    (
        "agent B submits at A's outlet",
        lambda e, s: e.orders.orders_as(s.b).SubmitOrder(
            submit_request(s.ca, [ln(world(e).water, "1")])
        ),
        DENIED,
        "outlet_id",
    ),
    (
        "agent B asks A's outlet's recommended order",
        lambda e, s: e.orders.orders_as(s.b).GetRecommendedOrder(
            os_.GetRecommendedOrderRequest(outlet_id=s.ca.outlet_id)
        ),
        HIDDEN,
        "outlet_id",
    ),
    (
        "agent B resolves A's client's prices",
        lambda e, s: e.orders.catalog_as(s.b).ResolvePrices(
            cs.ResolvePricesRequest(client_id=s.ca.client_id)
        ),
        HIDDEN,
        "client_id",
    ),
    (
        "agent B takes a return at A's outlet",
        lambda e, s: e.orders.vans_as(s.b).AcceptReturn(
            vs.AcceptReturnRequest(
                request_id=new_id(),
                return_id=new_id(),
                client_id=s.ca.client_id,
                outlet_id=s.ca.outlet_id,
                containers=[vs.ContainerLine(container_type="bottle-0.5", quantity="1")],
            )
        ),
        DENIED,
        "outlet_id",
    ),
    (
        "agent B reports A's order delivered",
        lambda e, s: e.orders.orders_as(s.b).UpdateOrderStatus(
            os_.UpdateOrderStatusRequest(
                request_id=new_id(), order_id=s.order_a.id, status=pb.ORDER_STATUS_CONFIRMED
            )
        ),
        DENIED,
        "no role admitted",
    ),
    (
        "agent B amends A's order",
        lambda e, s: e.orders.orders_as(s.b).AmendOrder(
            os_.AmendOrderRequest(
                request_id=new_id(),
                order_id=s.order_a.id,
                amendment_id=new_id(),
                expected_revision=1,
                lines=[ln(world(e).water, "2")],
            )
        ),
        DENIED,
        "order_id",
    ),
    (
        "agent B cancels A's order",
        lambda e, s: e.orders.orders_as(s.b).CancelOrder(
            os_.CancelOrderRequest(
                request_id=new_id(), order_id=s.order_a.id, expected_revision=1, reason="no"
            )
        ),
        DENIED,
        "order_id",
    ),
    (
        "agent B lists the revisions of A's order",
        lambda e, s: e.orders.orders_as(s.b).ListOrderRevisions(
            os_.ListOrderRevisionsRequest(order_id=s.order_a.id)
        ),
        HIDDEN,
        "order_id",
    ),
    (
        "A's supervisor cancels B's order",
        lambda e, s: e.orders.orders_as(s.boss_a).CancelOrder(
            os_.CancelOrderRequest(
                request_id=new_id(), order_id=s.order_b.id, expected_revision=1, reason="no"
            )
        ),
        DENIED,
        "order_id",
    ),
    (
        "van seller B sells from A's van",
        _sell_from(lambda s: s.van_a, lambda s: new_id()),
        DENIED,
        "van_id",
    ),
    (
        "van seller B retries A's sale from its own van",
        _sell_from(lambda s: s.van_b, lambda s: s.sale_a.id),
        DENIED,
        "sale_id",
    ),
    (
        "van seller B loads A's van",
        lambda e, s: e.orders.vans_as(s.seller_b).LoadVan(
            vs.LoadVanRequest(
                request_id=new_id(),
                load_id=new_id(),
                van_id=s.van_a.id,
                lines=[vs.QuantityLine(product_id=world(e).water.id, quantity="1")],
            )
        ),
        DENIED,
        "van_id",
    ),
    (
        "van seller B unloads A's van",
        lambda e, s: e.orders.vans_as(s.seller_b).UnloadVan(
            vs.UnloadVanRequest(request_id=new_id(), unload_id=new_id(), van_id=s.van_a.id)
        ),
        DENIED,
        "van_id",
    ),
    (
        "van seller B takes a return into A's van",
        lambda e, s: e.orders.vans_as(s.seller_b).AcceptReturn(
            vs.AcceptReturnRequest(
                request_id=new_id(),
                return_id=new_id(),
                van_id=s.van_a.id,
                client_id=s.shop_a.client_id,
                outlet_id=s.shop_a.outlet_id,
                containers=[vs.ContainerLine(container_type="bottle-0.5", quantity="1")],
            )
        ),
        DENIED,
        "van_id",
    ),
    (
        "van seller B reads A's van stock",
        lambda e, s: e.orders.vans_as(s.seller_b).GetVanStock(
            vs.GetVanStockRequest(van_id=s.van_a.id)
        ),
        HIDDEN,
        "van_id",
    ),
    (
        "van seller B reads A's van ledger",
        lambda e, s: e.orders.vans_as(s.seller_b).ListVanMovements(
            vs.ListVanMovementsRequest(van_id=s.van_a.id)
        ),
        HIDDEN,
        "van_id",
    ),
    (
        "van seller B reads A's sale",
        lambda e, s: e.orders.orders_as(s.seller_b).GetOrder(
            os_.GetOrderRequest(order_id=s.sale_a.id)
        ),
        HIDDEN,
        "order_id",
    ),
    (
        "A's supervisor reads B's order",
        lambda e, s: e.orders.orders_as(s.boss_a).GetOrder(
            os_.GetOrderRequest(order_id=s.order_b.id)
        ),
        HIDDEN,
        "order_id",
    ),
    (
        "A's supervisor reads seller B's van stock",
        lambda e, s: e.orders.vans_as(s.boss_a).GetVanStock(
            vs.GetVanStockRequest(van_id=s.van_b.id)
        ),
        HIDDEN,
        "van_id",
    ),
    (
        "A's supervisor submits an order at B's outlet",
        lambda e, s: e.orders.orders_as(s.boss_a).SubmitOrder(
            submit_request(s.cb, [ln(world(e).water, "1")])
        ),
        DENIED,
        "outlet_id",
    ),
    (
        "a distributor manager without a distributor reads an order",
        lambda e, s: e.orders.orders_as(s.manager).GetOrder(
            os_.GetOrderRequest(order_id=s.order_a.id)
        ),
        HIDDEN,
        "order_id",
    ),
    (
        "a distributor manager without a distributor reports an order's status",
        lambda e, s: e.orders.orders_as(s.manager).UpdateOrderStatus(
            os_.UpdateOrderStatusRequest(
                request_id=new_id(), order_id=s.order_a.id, status=pb.ORDER_STATUS_CONFIRMED
            )
        ),
        DENIED,
        "order_id",
    ),
    (
        "a distributor manager without a distributor reads a van's stock",
        lambda e, s: e.orders.vans_as(s.manager).GetVanStock(
            vs.GetVanStockRequest(van_id=s.van_a.id)
        ),
        HIDDEN,
        "van_id",
    ),
    (
        "a distributor manager without a distributor reads a van's ledger",
        lambda e, s: e.orders.vans_as(s.manager).ListVanMovements(
            vs.ListVanMovementsRequest(van_id=s.van_a.id)
        ),
        HIDDEN,
        "van_id",
    ),
]


async def test_outside_its_scope_a_read_is_not_found_and_a_write_denied(env: Env) -> None:
    s = await scene(env)
    before = await rows(env)
    failures = []
    for name, attempt, code, needle in OUTSIDE:
        try:
            await expect_error(attempt(env, s), code, needle)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert not failures, "\n".join(failures)
    assert await rows(env) == before
    # Each in its own scope: A reads its order, seller A its van.
    got = await env.orders.orders_as(s.a).GetOrder(os_.GetOrderRequest(order_id=s.order_a.id))
    assert got.order.id == s.order_a.id
    stock = await env.orders.vans_as(s.seller_a).GetVanStock(
        vs.GetVanStockRequest(van_id=s.van_a.id)
    )
    assert stock.van_id == s.van_a.id
    # A's supervisor: A's order, seller A's van and sale.
    boss = env.orders.orders_as(s.boss_a)
    for order in (s.order_a, s.sale_a):
        got = await boss.GetOrder(os_.GetOrderRequest(order_id=order.id))
        assert got.order.id == order.id
    stock = await env.orders.vans_as(s.boss_a).GetVanStock(vs.GetVanStockRequest(van_id=s.van_a.id))
    assert stock.van_id == s.van_a.id


async def test_lists_leave_out_what_is_outside_the_scope(env: Env) -> None:
    s = await scene(env)
    orders_b = env.orders.orders_as(s.b)
    mine = await orders_b.ListOrders(os_.ListOrdersRequest(page_size=1000))
    assert {o.id for o in mine.orders} == {s.order_b.id}  # only its own
    for request in (
        os_.ListOrdersRequest(agent_id=s.a.subject),
        os_.ListOrdersRequest(client_id=s.ca.client_id),
        os_.ListOrdersRequest(outlet_id=s.ca.outlet_id),
    ):
        assert list((await orders_b.ListOrders(request)).orders) == []
    theirs = await orders_b.ListRecommendedOrders(
        os_.ListRecommendedOrdersRequest(agent_id=s.a.subject)
    )
    assert list(theirs.recommendations) == []
    report = await env.orders.orders_as(s.manager).GetFulfilmentReport(
        os_.GetFulfilmentReportRequest()
    )
    assert list(report.rows) == []
    assert (
        list((await env.orders.orders_as(s.manager).ListOrders(os_.ListOrdersRequest())).orders)
        == []
    )
    assert list((await env.orders.vans_as(s.manager).ListVans(vs.ListVansRequest())).vans) == []
    vans_b = env.orders.vans_as(s.seller_b)
    assert [v.id for v in (await vans_b.ListVans(vs.ListVansRequest())).vans] == [s.van_b.id]
    other = await vans_b.ListVans(vs.ListVansRequest(van_seller_id=s.seller_a.subject))
    assert list(other.vans) == []
    # A's supervisor lists its team's: A's orders and seller A's sale and van, not B's.
    team = await env.orders.orders_as(s.boss_a).ListOrders(os_.ListOrdersRequest(page_size=1000))
    assert {o.id for o in team.orders} == {s.order_a.id, s.sale_a.id}
    vans = await env.orders.vans_as(s.boss_a).ListVans(vs.ListVansRequest())
    assert [v.id for v in vans.vans] == [s.van_a.id]
    # The company's view (an administrator) has both.
    everyone = await env.orders.orders.ListOrders(os_.ListOrdersRequest(page_size=1000))
    assert {s.order_a.id, s.order_b.id} <= {o.id for o in everyone.orders}


async def test_a_distributor_manager_sees_its_distributors_orders_only(env: Env) -> None:
    """The distributor clients gives the manager (its EmployeeChanged): the orders placed for
    it, whoever's, and their fulfilment; an order for another distributor, or none, is hidden."""
    w, c = world(env), await new_customer(env)
    distributor, other = await new_distributor(env), await new_distributor(env)
    ours = await submit(env, c, submit_request(c, [ln(w.water, "1")], distributor_id=distributor))
    theirs = await submit(env, c, submit_request(c, [ln(w.water, "1")], distributor_id=other))
    direct = await submit(env, c, submit_request(c, [ln(w.water, "1")]))
    manager = env.orders.orders_as(await manager_of(env, distributor))
    got = await manager.GetOrder(os_.GetOrderRequest(order_id=ours.id))
    assert got.order.id == ours.id
    for hidden in (theirs, direct):
        await expect_error(
            manager.GetOrder(os_.GetOrderRequest(order_id=hidden.id)),
            grpc.StatusCode.NOT_FOUND,
            "order_id",
        )
    listed = await manager.ListOrders(os_.ListOrdersRequest(page_size=1000))
    assert {o.id for o in listed.orders} == {ours.id}
    asked_other = await manager.ListOrders(os_.ListOrdersRequest(distributor_id=other))
    assert list(asked_other.orders) == []
    report = await manager.GetFulfilmentReport(os_.GetFulfilmentReportRequest())
    by_distributor = {r.key: r.orders for r in report.rows if r.dimension == "distributor"}
    assert by_distributor == {distributor: 1}  # its one order, none of the others


# ----------------------------------------------------------------- no roles from the body
async def test_a_body_that_still_names_roles_changes_nothing(env: Env) -> None:
    """The `actor` field is gone (its number reserved): an old client's `actor` naming a
    SUPERVISOR arrives as an unknown field and is ignored; the token's roles decide."""
    assert not any(f.name == "actor" for f in os_.SubmitOrderRequest.DESCRIPTOR.fields)
    assert not any(f.name == "actor" for f in vs.CompleteVanSaleRequest.DESCRIPTOR.fields)
    assert "reported_by" not in os_.UpdateOrderStatusRequest.DESCRIPTOR.fields_by_name
    w = world(env)
    c = await new_customer(env)
    await set_policy(env, c.client_id, spb.DEBT_POLICY_MODE_BLOCK)
    await overdue_debt(env, c.client_id)
    boss = supervisor()
    request = submit_request(c, [ln(w.water, "1")])
    request.credit_override.reason = "я начальник"
    request.MergeFromString(_old_actor_field(boss.subject, "SUPERVISOR"))
    order = await submit(env, c, request)
    assert order.status == pb.ORDER_STATUS_CREDIT_HOLD  # an agent's token: no override
    assert order.credit.outcome == pb.CREDIT_OUTCOME_BLOCK and not order.credit.override_by
    assert order.agent_id == c.agent.subject  # the token's subject, not the body's


def _old_actor_field(employee_id: str, *roles: str) -> bytes:
    """`Actor actor = 2` as clients before issue 11 sent it: {1: employee_id, 2: roles}."""

    def field(number: int, value: bytes) -> bytes:
        assert len(value) < 128
        return bytes([number << 3 | 2, len(value)]) + value

    actor = field(1, employee_id.encode()) + b"".join(field(2, r.encode()) for r in roles)
    return field(2, actor)


async def test_concurrent_callers_each_act_as_themselves(env: Env) -> None:
    """Calls of several agents coalesced into one batch: each order is its own caller's, and
    each caller's own token decides its credit check (an agent's override is ignored while
    a supervisor's in the same batch goes through)."""
    w = world(env)
    customers = [await new_customer(env) for _ in range(3)]
    held = customers[0]
    await set_policy(env, held.client_id, spb.DEBT_POLICY_MODE_BLOCK)
    await overdue_debt(env, held.client_id)
    boss = await supervisor_of(env, held.agent)
    asks = []
    for c in customers:
        request = submit_request(c, [ln(w.water, "1")])
        request.credit_override.reason = "срочно"
        asks.append((c.agent, request))
    override = submit_request(held, [ln(w.water, "2")])
    override.credit_override.reason = "согласовано"
    asks.append((boss, override))
    replies = await asyncio.gather(*(env.orders.orders_as(who).SubmitOrder(r) for who, r in asks))
    for (who, _), reply in zip(asks, replies, strict=True):
        assert reply.order.agent_id == who.subject
    assert replies[0].order.status == pb.ORDER_STATUS_CREDIT_HOLD  # the agent's ask: ignored
    assert replies[3].order.credit.outcome == pb.CREDIT_OUTCOME_OVERRIDDEN
    assert replies[3].order.credit.override_by == boss.subject
