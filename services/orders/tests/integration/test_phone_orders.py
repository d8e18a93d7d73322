"""Orders taken by phone (issue 15, increment 8's orders part; docs/contexts/sales-gaps.md 3.2),
over real gRPC, NATS, databases and settlements' debt policy.

* a teleseller's order for an outlet of its call list is PHONE, taken by it, credited to the
  outlet's field agent (named, the only one, or none: the teleseller itself), under the same
  debt policy as in the field;
* the teleseller and the credited agent both see it (GetOrder, ListOrders with the new
  filters) and may amend or cancel it; another agent sees nothing;
* bad input, each named per field and writing nothing: PHONE by an agent, FIELD by a
  teleseller, a visit on a phone order, a call or a credited agent on a field order, a credited
  agent not on the outlet's field routes, several and none named, an outlet off the call list;
* a service takes a phone order only for an employee the directory says is a teleseller.
"""

from __future__ import annotations

import grpc
from sqlalchemy import update

from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import orders_service_pb2_grpc as os_grpc
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline_kit.auth.principal import Kind
from fieldline_kit.testing.auth import Caller, process_tokens
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_kit.testing.service import CHANNEL_OPTIONS
from fieldline_orders.adapters.orm_feed import feed_assignments
from fieldline_orders.domain.feed import PHONE_ROUTE, AssignmentState, EmployeeState
from fieldline_settlements.domain import feed as s_feed

from .identity import agent
from .orders_harness import (
    Customer,
    Env,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    new_customer,
    overdue_debt,
    set_policy,
    submit,
    submit_request,
    today,
    world,
)

S = pb


def teleseller() -> Caller:
    return Caller(new_id(), {"TELESELLER"})


async def on_call_list(env: Env, c: Customer, seller: Caller) -> None:
    """The customer's outlet on a (new) PHONE route of `seller`, in orders' and settlements'
    clients feeds (settlements scopes the teleseller's credit checks by it)."""
    route_id = new_id()
    async with env.app.uow() as uow:
        await uow.feed.put_assignment(
            AssignmentState(
                route_id,
                c.outlet_id,
                seller.subject,
                1,
                0b1111111,
                today(),
                1,
                False,
                1,
                route_kind=PHONE_ROUTE,
            )
        )
        await uow.commit()
    async with env.settlements.app.uow() as uow:
        await uow.feed.put_route_outlet(
            s_feed.RouteOutletState(route_id, c.outlet_id, seller.subject, False, 1)
        )
        await uow.commit()


async def another_field_agent(env: Env, c: Customer) -> Caller:
    """A second agent working a FIELD route of the customer's outlet."""
    other = agent()
    async with env.app.uow() as uow:
        await uow.feed.put_assignment(
            AssignmentState(
                new_id(), c.outlet_id, other.subject, 1, 0b1111111, today(), 1, False, 1
            )
        )
        await uow.commit()
    return other


async def phone_customer(env: Env) -> tuple[Customer, Caller]:
    """A customer on its agent's field route and on a new teleseller's call list."""
    c, seller = await new_customer(env), teleseller()
    await on_call_list(env, c, seller)
    return c, seller


async def not_written(env: Env, order_id: str) -> None:
    await expect_error(
        env.orders.orders.GetOrder(os_.GetOrderRequest(order_id=order_id)),
        grpc.StatusCode.NOT_FOUND,
    )


# --------------------------------------------------------------------------- taking it
async def test_a_phone_order_is_taken_by_the_teleseller_and_credited_to_the_field_agent(
    env: Env,
) -> None:
    w = world(env)
    c, seller = await phone_customer(env)
    call_id = new_id()
    order = await submit(env, c, submit_request(c, [ln(w.water, "3")], call_id=call_id), as_=seller)
    assert (order.channel, order.taken_by, order.agent_id, order.call_id) == (
        S.ORDER_CHANNEL_PHONE,
        seller.subject,
        c.agent.subject,
        call_id,
    )
    assert order.status == S.ORDER_STATUS_SUBMITTED and order.visit_id == ""
    # Both see it; another agent does not.
    for who in (seller, c.agent):
        got = await env.orders.orders_as(who).GetOrder(os_.GetOrderRequest(order_id=order.id))
        assert got.order == order
    await expect_error(
        env.orders.orders_as(agent()).GetOrder(os_.GetOrderRequest(order_id=order.id)),
        grpc.StatusCode.NOT_FOUND,
    )
    # Lists: the teleseller's own (taken), the agent's own (credited), the new filters.
    mine = await env.orders.orders_as(seller).ListOrders(os_.ListOrdersRequest())
    assert [o.id for o in mine.orders] == [order.id]
    theirs = await env.orders.orders_as(c.agent).ListOrders(
        os_.ListOrdersRequest(channel=S.ORDER_CHANNEL_PHONE)
    )
    assert [o.id for o in theirs.orders] == [order.id]
    field_only = await env.orders.orders_as(c.agent).ListOrders(
        os_.ListOrdersRequest(channel=S.ORDER_CHANNEL_FIELD)
    )
    assert order.id not in [o.id for o in field_only.orders]
    taken = await env.orders.orders.ListOrders(os_.ListOrdersRequest(taken_by=seller.subject))
    assert [o.id for o in taken.orders] == [order.id]
    # A field order by the agent is FIELD, taken by the agent itself.
    field = await submit(env, c, submit_request(c, [ln(w.water, "1")]))
    assert (field.channel, field.taken_by, field.agent_id) == (
        S.ORDER_CHANNEL_FIELD,
        c.agent.subject,
        c.agent.subject,
    )


async def test_the_credited_agent_named_or_the_teleseller_when_none_works_the_outlet(
    env: Env,
) -> None:
    w = world(env)
    c, seller = await phone_customer(env)
    other = await another_field_agent(env, c)
    named = await submit(
        env,
        c,
        submit_request(
            c, [ln(w.water, "1")], channel=S.ORDER_CHANNEL_PHONE, credited_agent_id=other.subject
        ),
        as_=seller,
    )
    assert (named.agent_id, named.taken_by) == (other.subject, seller.subject)
    # An outlet on no field route: the teleseller is credited.
    lonely = await new_customer(env)
    await on_call_list(env, lonely, seller)
    await _drop_field_routes(env, lonely)
    own = await submit(env, lonely, submit_request(lonely, [ln(w.water, "1")]), as_=seller)
    assert (own.agent_id, own.taken_by, own.channel) == (
        seller.subject,
        seller.subject,
        S.ORDER_CHANNEL_PHONE,
    )


async def _drop_field_routes(env: Env, c: Customer) -> None:
    """The customer's outlet taken off every FIELD route (tombstones, as the feed keeps them)."""
    async with env.app.uow() as uow:
        a = feed_assignments
        await uow.session.execute(
            update(a)
            .where(a.c.outlet_id == c.outlet_id, a.c.route_kind == "FIELD")
            .values(removed=True, version=a.c.version + 1)
        )
        await uow.commit()


async def test_a_phone_order_is_judged_by_the_same_debt_policy(env: Env) -> None:
    w = world(env)
    c, seller = await phone_customer(env)
    await overdue_debt(env, c.client_id)
    await set_policy(env, c.client_id, spb.DEBT_POLICY_MODE_BLOCK)
    held = await submit(env, c, submit_request(c, [ln(w.water, "2")]), as_=seller)
    assert (held.status, held.credit.outcome, held.channel) == (
        S.ORDER_STATUS_CREDIT_HOLD,
        S.CREDIT_OUTCOME_BLOCK,
        S.ORDER_CHANNEL_PHONE,
    )


async def test_the_teleseller_and_the_credited_agent_may_amend_and_cancel_it(env: Env) -> None:
    w = world(env)
    c, seller = await phone_customer(env)
    order = await submit(env, c, submit_request(c, [ln(w.water, "3")]), as_=seller)
    amended = await env.orders.orders_as(seller).AmendOrder(
        os_.AmendOrderRequest(
            request_id=new_id(),
            order_id=order.id,
            amendment_id=new_id(),
            expected_revision=1,
            lines=[ln(w.water, "5")],
        )
    )
    assert (amended.order.revision, amended.order.taken_by) == (2, seller.subject)
    cancelled = await env.orders.orders_as(c.agent).CancelOrder(
        os_.CancelOrderRequest(
            request_id=new_id(), order_id=order.id, expected_revision=2, reason="no longer needed"
        )
    )
    assert cancelled.order.status == S.ORDER_STATUS_CANCELLED
    await expect_error(
        env.orders.orders_as(agent()).CancelOrder(
            os_.CancelOrderRequest(
                request_id=new_id(), order_id=order.id, expected_revision=3, reason="x"
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


# ------------------------------------------------------------------------------ bad input
async def test_bad_channels_and_credits_are_refused_per_field_and_write_nothing(
    env: Env,
) -> None:
    w = world(env)
    c, seller = await phone_customer(env)
    other = await another_field_agent(env, c)
    lines = [ln(w.water, "1")]
    cases: list[tuple[Caller, os_.SubmitOrderRequest, grpc.StatusCode, str]] = [
        (
            c.agent,
            submit_request(c, lines, channel=S.ORDER_CHANNEL_PHONE),
            grpc.StatusCode.PERMISSION_DENIED,
            "channel: only a teleseller takes orders by phone",
        ),
        (
            seller,
            submit_request(c, lines, channel=S.ORDER_CHANNEL_FIELD),
            grpc.StatusCode.INVALID_ARGUMENT,
            "channel: a teleseller takes orders by phone",
        ),
        (
            seller,
            submit_request(c, lines, visit_id=new_id()),
            grpc.StatusCode.INVALID_ARGUMENT,
            "visit_id: a phone order is taken in no visit",
        ),
        (
            c.agent,
            submit_request(c, lines, call_id=new_id()),
            grpc.StatusCode.INVALID_ARGUMENT,
            "call_id: only a phone order is taken in a call",
        ),
        (
            c.agent,
            submit_request(c, lines, credited_agent_id=other.subject),
            grpc.StatusCode.INVALID_ARGUMENT,
            "credited_agent_id: only a phone order",
        ),
        (
            seller,
            submit_request(c, lines, call_id="call-1"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "call_id: ",
        ),
        (
            seller,
            submit_request(c, lines, channel=7),
            grpc.StatusCode.INVALID_ARGUMENT,
            "channel: unknown value 7",
        ),
        (
            seller,
            submit_request(c, lines),  # two field agents, none named
            grpc.StatusCode.INVALID_ARGUMENT,
            f"credited_agent_id: outlet {c.outlet_id} is on the routes of 2 agents",
        ),
        (
            seller,
            submit_request(c, lines, credited_agent_id=seller.subject),
            grpc.StatusCode.INVALID_ARGUMENT,
            f"credited_agent_id: {seller.subject} works no field route of outlet",
        ),
    ]
    for who, request, code, needle in cases:
        await expect_error(env.orders.orders_as(who).SubmitOrder(request), code, needle)
        await not_written(env, request.order_id)
    # An outlet off the teleseller's call list is outside its scope.
    stranger = await new_customer(env)
    request = submit_request(stranger, lines)
    await expect_error(
        env.orders.orders_as(seller).SubmitOrder(request),
        grpc.StatusCode.PERMISSION_DENIED,
        "outlet_id",
    )
    await not_written(env, request.order_id)


# ------------------------------------------------------------------------- for a teleseller
async def test_a_service_takes_a_phone_order_only_for_a_teleseller(env: Env) -> None:
    w = world(env)
    c, seller = await phone_customer(env)
    not_a_seller = agent()
    async with env.app.uow() as uow:
        await uow.feed.put_employee(
            EmployeeState(seller.subject, True, frozenset({"TELESELLER"}), "", "", 1)
        )
        await uow.feed.put_employee(
            EmployeeState(not_a_seller.subject, True, frozenset({"AGENT"}), "", "", 1)
        )
        await uow.commit()

    async def as_service_for(employee_id: str, request: os_.SubmitOrderRequest) -> pb.Order:
        token = process_tokens().mint("svc:telesales", Kind.SERVICE, {"SERVICE"}, act=employee_id)
        async with grpc.aio.insecure_channel(env.orders.target, options=CHANNEL_OPTIONS) as ch:
            reply = await os_grpc.OrdersServiceStub(ch).SubmitOrder(
                request, metadata=(("authorization", f"Bearer {token}"),)
            )
        return reply.order

    order = await as_service_for(
        seller.subject, submit_request(c, [ln(w.water, "1")], channel=S.ORDER_CHANNEL_PHONE)
    )
    assert (order.channel, order.taken_by, order.agent_id) == (
        S.ORDER_CHANNEL_PHONE,
        seller.subject,
        c.agent.subject,
    )
    refused = submit_request(c, [ln(w.water, "1")], channel=S.ORDER_CHANNEL_PHONE)
    await expect_error(
        as_service_for(not_a_seller.subject, refused),
        grpc.StatusCode.PERMISSION_DENIED,
        "channel: only a teleseller takes orders by phone",
    )
    await not_written(env, refused.order_id)
