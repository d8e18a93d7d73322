"""AmendOrder, CancelOrder, ListOrderRevisions and UpdateOrderStatus's expected revision, over
gRPC against a real settlements service (its reservation follows each revision), database and
NATS: the rules, bad input named per field, the access rule over roles and scopes, an
amendment racing a confirmation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import grpc
import pytest

from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.errors import Conflict
from fieldline_kit.grpc.convert import encode_token
from fieldline_kit.testing.auth import Caller, service_caller
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import eventually_value, expect_error, new_id
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.schema import kit
from fieldline_orders.domain.access import Actor
from fieldline_orders.domain.pricing import LineInput
from fieldline_orders.service_layer import amend

from .identity import agent, van_seller
from .orders_harness import (
    Customer,
    Env,
    count,
    dec,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    new_customer,
    pb_date,
    rub,
    submit,
    submit_request,
    supervisor_of,
    today,
    world,
)

S = pb
INVALID = grpc.StatusCode.INVALID_ARGUMENT
DENIED = grpc.StatusCode.PERMISSION_DENIED
ABORTED = grpc.StatusCode.ABORTED
TOO_LATE = grpc.StatusCode.FAILED_PRECONDITION


def amend_request(
    order: pb.Order, lines: list[os_.OrderLineInput], **kw: Any
) -> os_.AmendOrderRequest:
    values: dict[str, Any] = {
        "request_id": new_id(),
        "order_id": order.id,
        "amendment_id": new_id(),
        "expected_revision": order.revision,
        "lines": lines,
    }
    values.update(kw)
    return os_.AmendOrderRequest(**values)


def cancel_request(order: pb.Order, reason: str = "the shop is closed", **kw: Any) -> Any:
    values: dict[str, Any] = {
        "request_id": new_id(),
        "order_id": order.id,
        "expected_revision": order.revision,
        "reason": reason,
    }
    values.update(kw)
    return os_.CancelOrderRequest(**values)


async def reserved(env: Env, client_id: str) -> Decimal:
    reply = await env.settlements.api.GetBalance(ss.GetBalanceRequest(client_id=client_id))
    return dec(reply.balance.reserved)


async def reserved_when(env: Env, client_id: str, amount: str) -> Decimal:
    """Settlements' reserved figure once it is `amount` (a consumer moves it on events)."""
    return await eventually_value(
        lambda: reserved(env, client_id), lambda r: r == Decimal(amount), within=15
    )


async def ordered(env: Env, c: Customer, quantity: str = "10") -> pb.Order:
    """A submitted order of `quantity` water (10.00 each) by the customer's agent."""
    return await submit(env, c, submit_request(c, [ln(world(env).water, quantity)]))


async def amended(env: Env, c: Customer, request: os_.AmendOrderRequest) -> pb.Order:
    return (await env.orders.orders_as(c.agent).AmendOrder(request)).order


# ---------------------------------------------------------------------------- amendment
async def test_an_amendment_reprices_moves_the_reservation_and_keeps_the_revisions(
    env: Env,
) -> None:
    w, c = world(env), await new_customer(env)
    order = await ordered(env, c, "10")
    assert (order.revision, await reserved(env, c.client_id)) == (1, Decimal("100.00"))
    delivery = today() + timedelta(days=3)
    request = amend_request(
        order,
        [ln(w.water, "3"), ln(w.chips, "1")],
        delivery_date=pb_date(delivery),
        comment="меньше воды",
    )
    new = await amended(env, c, request)
    assert (new.revision, new.version, new.status) == (
        2,
        order.version + 1,
        S.ORDER_STATUS_SUBMITTED,
    )
    assert dec(new.gross_total) == Decimal("85.55")  # 3 × 10.00 + 55.55
    assert [(x.product_id, x.base_quantity) for x in new.lines] == [
        (w.water.id, "3"),
        (w.chips.id, "1"),
    ]
    assert (new.delivery_date, new.comment) == (pb_date(delivery), "меньше воды")
    assert (new.order_date, new.client_id, new.outlet_id) == (
        order.order_date,
        order.client_id,
        order.outlet_id,
    )
    assert await reserved(env, c.client_id) == Decimal("85.55")
    got = (await env.orders.orders.GetOrder(os_.GetOrderRequest(order_id=order.id))).order
    assert got == new
    events = await published(env.js, "ORDERS", about(order.id), expect=2)
    assert [e.name for e in events] == ["OrderSubmitted", "OrderAmended"]
    assert events[1].message.previous_revision == 1  # type: ignore[attr-defined]
    assert events[1].message.order == new  # type: ignore[attr-defined]

    listed = await env.orders.orders_as(c.agent).ListOrderRevisions(
        os_.ListOrderRevisionsRequest(order_id=order.id)
    )
    first, second = listed.revisions
    assert (first.revision, dec(first.gross_total), list(first.lines)) == (
        1,
        Decimal("100.00"),
        list(order.lines),
    )
    assert (first.amended_by, first.amendment_id, first.amend_time) == (
        c.agent.subject,
        "",
        order.create_time,
    )
    assert (second.revision, list(second.lines), second.gross_total) == (
        2,
        list(new.lines),
        new.gross_total,
    )
    assert (second.amended_by, second.amendment_id, second.credit) == (
        c.agent.subject,
        request.amendment_id,
        new.credit,
    )
    assert second.delivery_date == pb_date(delivery) and not first.HasField("delivery_date")
    assert listed.next_page_token == ""
    # A page at a time.
    page = await env.orders.orders.ListOrderRevisions(
        os_.ListOrderRevisionsRequest(order_id=order.id, page_size=1)
    )
    assert [r.revision for r in page.revisions] == [1] and page.next_page_token
    rest = await env.orders.orders.ListOrderRevisions(
        os_.ListOrderRevisionsRequest(
            order_id=order.id, page_size=1, page_token=page.next_page_token
        )
    )
    assert [r.revision for r in rest.revisions] == [2] and rest.next_page_token == ""


async def test_the_same_amendment_again_answers_the_order_other_content_is_refused(
    env: Env,
) -> None:
    w, c = world(env), await new_customer(env)
    order = await ordered(env, c)
    request = amend_request(order, [ln(w.water, "4")])
    new = await amended(env, c, request)
    # The same amendment under a new request_id (the device lost the answer): the order as is.
    again = await amended(
        env, c, os_.AmendOrderRequest(**{**_fields(request), "request_id": new_id()})
    )
    assert again == new
    # The same request_id: the stored answer.
    assert await amended(env, c, request) == new
    other = os_.AmendOrderRequest(**{**_fields(request), "request_id": new_id()})
    other.lines[0].quantity = "5"
    await expect_error(
        env.orders.orders_as(c.agent).AmendOrder(other),
        grpc.StatusCode.ALREADY_EXISTS,
        "amendment_id",
    )
    # A new amendment of the revision the device saw before: it amended what it no longer is.
    stale = amend_request(order, [ln(w.water, "6")], expected_revision=1)
    await expect_error(
        env.orders.orders_as(c.agent).AmendOrder(stale), ABORTED, "expected_revision", "revision 2"
    )
    assert await reserved(env, c.client_id) == Decimal("40.00")
    assert await count(env, orm.order_revisions, orm.order_revisions.c.order_id == order.id) == 1


def _fields(message: Any) -> dict[str, Any]:
    return {f.name: v for f, v in message.ListFields()}


async def test_an_amendment_over_the_limit_holds_the_order_and_one_within_releases_it(
    env: Env,
) -> None:
    w, c = world(env), await new_customer(env)
    await env.settlements.api.SetDebtPolicy(
        ss.SetDebtPolicyRequest(
            request_id=new_id(),
            policy=spb.DebtPolicy(
                client_id=c.client_id,
                mode=spb.DEBT_POLICY_MODE_BLOCK,
                check_credit_limit=True,
                max_overdue_days=30,
                stages=[spb.STAGE_ORDER_SUBMIT],
                override_roles=["SUPERVISOR"],
            ),
        )
    )
    await env.settlements.api.SetCreditLimit(
        ss.SetCreditLimitRequest(request_id=new_id(), client_id=c.client_id, limit=rub("150.00"))
    )
    order = await ordered(env, c, "10")
    assert order.status == S.ORDER_STATUS_SUBMITTED
    held = await amended(env, c, amend_request(order, [ln(w.water, "20")]))
    assert (held.status, held.credit.outcome, held.revision) == (
        S.ORDER_STATUS_CREDIT_HOLD,
        S.CREDIT_OUTCOME_BLOCK,
        2,
    )
    assert await reserved(env, c.client_id) == 0  # a blocked check reserves nothing
    released = await amended(env, c, amend_request(held, [ln(w.water, "5")]))
    assert (released.status, released.revision) == (S.ORDER_STATUS_SUBMITTED, 3)
    assert await reserved(env, c.client_id) == Decimal("50.00")


async def test_an_amendment_recomputes_the_visits_figures(env: Env) -> None:
    w, c = world(env), await new_customer(env)
    visit_id = new_id()
    order = await submit(env, c, submit_request(c, [ln(w.water, "10")], visit_id=visit_id))
    await amended(env, c, amend_request(order, [ln(w.water, "2")]))
    contact = (
        await env.orders.orders.GetContactSales(os_.GetContactSalesRequest(contact_id=visit_id))
    ).contact_sales
    assert (contact.orders, dec(contact.gross_total)) == (1, Decimal("20.00"))


# ---------------------------------------------------------------------------- cancel
async def test_a_cancelled_order_releases_its_reservation_and_its_visit(env: Env) -> None:
    w, c = world(env), await new_customer(env)
    visit_id = new_id()
    order = await submit(env, c, submit_request(c, [ln(w.water, "7")], visit_id=visit_id))
    assert await reserved(env, c.client_id) == Decimal("70.00")
    request = cancel_request(order, "клиент передумал")
    done = (await env.orders.orders_as(c.agent).CancelOrder(request)).order
    assert (done.status, done.status_reason, done.revision) == (
        S.ORDER_STATUS_CANCELLED,
        "клиент передумал",
        1,
    )
    await reserved_when(env, c.client_id, "0")
    contact = (
        await env.orders.orders.GetContactSales(os_.GetContactSalesRequest(contact_id=visit_id))
    ).contact_sales
    assert (contact.orders, contact.productive) == (0, False)
    # Again (a new request_id): answered as it is; amending it is too late.
    again = await env.orders.orders_as(c.agent).CancelOrder(cancel_request(done, "again"))
    assert again.order == done
    await expect_error(
        env.orders.orders_as(c.agent).AmendOrder(amend_request(done, [ln(w.water, "1")])),
        TOO_LATE,
        "order_id",
        "CANCELLED",
    )


async def test_a_confirmed_order_is_neither_amended_nor_cancelled_by_its_agent(env: Env) -> None:
    w, c = world(env), await new_customer(env)
    order = await ordered(env, c)
    confirm = os_.UpdateOrderStatusRequest(
        request_id=new_id(), order_id=order.id, status=S.ORDER_STATUS_CONFIRMED
    )
    confirmed = (await env.orders.orders.UpdateOrderStatus(confirm)).order
    agent_api = env.orders.orders_as(c.agent)
    await expect_error(
        agent_api.AmendOrder(amend_request(confirmed, [ln(w.water, "1")])),
        TOO_LATE,
        f"order_id: order {order.id} is CONFIRMED; it can no longer be amended",
    )
    await expect_error(agent_api.CancelOrder(cancel_request(confirmed)), TOO_LATE, "order_id")
    # The ERP still may.
    cancelled = await env.orders.orders.UpdateOrderStatus(
        os_.UpdateOrderStatusRequest(
            request_id=new_id(), order_id=order.id, status=S.ORDER_STATUS_CANCELLED
        )
    )
    assert cancelled.order.status == S.ORDER_STATUS_CANCELLED


async def test_the_erp_confirms_only_the_revision_it_saw(env: Env) -> None:
    w, c = world(env), await new_customer(env)
    order = await ordered(env, c)
    new = await amended(env, c, amend_request(order, [ln(w.water, "2")]))
    seen_first = os_.UpdateOrderStatusRequest(
        request_id=new_id(), order_id=order.id, status=S.ORDER_STATUS_CONFIRMED, expected_revision=1
    )
    await expect_error(
        env.orders.orders.UpdateOrderStatus(seen_first),
        TOO_LATE,
        f"expected_revision: order {order.id} is at revision 2, not 1",
    )
    seen_now = os_.UpdateOrderStatusRequest(
        request_id=new_id(), order_id=order.id, status=S.ORDER_STATUS_CONFIRMED, expected_revision=2
    )
    confirmed = (await env.orders.orders.UpdateOrderStatus(seen_now)).order
    assert (confirmed.status, confirmed.revision, confirmed.version) == (
        S.ORDER_STATUS_CONFIRMED,
        2,
        new.version + 1,
    )


# ---------------------------------------------------------------------------- bad input
Make = Callable[[Any, pb.Order], os_.AmendOrderRequest]


def _one(**kw: Any) -> Make:
    """An amendment to one unit of water, with `kw` changed."""
    return lambda w, o: amend_request(o, [ln(w.water, "1")], **kw)


def _lines(*lines: Callable[[Any], os_.OrderLineInput]) -> Make:
    return lambda w, o: amend_request(o, [make(w) for make in lines])


YESTERDAY = pb_date(today() - timedelta(days=1))
NOT_FOUND = grpc.StatusCode.NOT_FOUND
BAD_AMENDMENTS: list[tuple[str, Make, grpc.StatusCode, str]] = [
    ("order_id", _one(order_id="o-1"), INVALID, "order_id"),
    ("unknown order", _one(order_id=new_id()), NOT_FOUND, "order_id"),
    ("amendment_id", _one(amendment_id=""), INVALID, "amendment_id"),
    ("expected_revision", _one(expected_revision=0), INVALID, "expected_revision"),
    ("no lines", _lines(), INVALID, "lines"),
    ("quantity", _lines(lambda w: ln(w.water, "-1")), INVALID, "lines[0].quantity"),
    (
        "product",
        _lines(lambda w: os_.OrderLineInput(product_id="p", quantity="1")),
        INVALID,
        "lines[0].product_id",
    ),
    ("unit", _lines(lambda w: ln(w.water, "1", unit="pallet")), INVALID, "lines[0].unit"),
    ("delivery_date", _one(delivery_date=YESTERDAY), INVALID, "delivery_date"),
    ("warehouse_id", _one(warehouse_id="w-1"), INVALID, "warehouse_id"),
    ("comment", _one(comment="x" * 5000), INVALID, "comment"),
    (
        "override reason",
        _one(credit_override=os_.CreditOverride()),
        INVALID,
        "credit_override.reason",
    ),
]


@pytest.mark.parametrize(
    ("case", "make", "code", "needle"), BAD_AMENDMENTS, ids=[b[0] for b in BAD_AMENDMENTS]
)
async def test_a_bad_amendment_names_its_field_and_changes_nothing(
    env: Env,
    case: str,
    make: Make,
    code: grpc.StatusCode,
    needle: str,
) -> None:
    w, c = world(env), await new_customer(env)
    order = await ordered(env, c)
    before = (await count(env, kit.outbox), await reserved(env, c.client_id))
    await expect_error(env.orders.orders.AmendOrder(make(w, order)), code, f"{needle}")
    got = (await env.orders.orders.GetOrder(os_.GetOrderRequest(order_id=order.id))).order
    assert got == order
    assert (await count(env, kit.outbox), await reserved(env, c.client_id)) == before


async def test_a_bad_cancellation_or_revisions_request_names_its_field(env: Env) -> None:
    c = await new_customer(env)
    order = await ordered(env, c)
    api = env.orders.orders
    for request, needle in [
        (cancel_request(order, reason=" "), "reason"),
        (cancel_request(order, reason="x" * 5000), "reason"),
        (cancel_request(order, expected_revision=0), "expected_revision"),
        (cancel_request(order, order_id="o-1"), "order_id"),
    ]:
        await expect_error(api.CancelOrder(request), INVALID, needle)
    await expect_error(
        api.CancelOrder(cancel_request(order, expected_revision=2)), ABORTED, "expected_revision"
    )
    await expect_error(
        api.CancelOrder(cancel_request(order, order_id=new_id())),
        grpc.StatusCode.NOT_FOUND,
        "order_id",
    )
    for listing, needle in [
        (os_.ListOrderRevisionsRequest(order_id="o-1"), "order_id"),
        (os_.ListOrderRevisionsRequest(order_id=order.id, page_token="%%"), "page_token"),
        (
            os_.ListOrderRevisionsRequest(order_id=order.id, page_token=encode_token("x")),
            "page_token",
        ),
        (os_.ListOrderRevisionsRequest(order_id=order.id, page_size=-1), "page_size"),
    ]:
        await expect_error(api.ListOrderRevisions(listing), INVALID, needle)
    await expect_error(
        api.UpdateOrderStatus(
            os_.UpdateOrderStatusRequest(
                request_id=new_id(),
                order_id=order.id,
                status=S.ORDER_STATUS_CONFIRMED,
                expected_revision=-1,
            )
        ),
        INVALID,
        "expected_revision",
    )
    got = (await api.GetOrder(os_.GetOrderRequest(order_id=order.id))).order
    assert got == order


# -------------------------------------------------------------------------------- access
# Who may amend, cancel and list the revisions of agent A's order: (caller, may change it,
# may read it, the code and the needle of a refusal). The roles the policy does not admit are
# refused for every RPC by test_auth.py; these are the scope and the service's `act`.
Who = Callable[[Env, Customer], Awaitable[Caller]]


async def _own(e: Env, c: Customer) -> Caller:
    return c.agent


async def _other_agent(e: Env, c: Customer) -> Caller:
    return agent()


async def _boss(e: Env, c: Customer) -> Caller:
    return await supervisor_of(e, c.agent)


async def _other_boss(e: Env, c: Customer) -> Caller:
    return await supervisor_of(e, agent())


async def _admin(e: Env, c: Customer) -> Caller:
    return Caller(new_id(), {"ADMIN"})


async def _service(e: Env, c: Customer) -> Caller:
    return service_caller("gateway")  # its token names no employee (act)


async def _van_seller(e: Env, c: Customer) -> Caller:
    return van_seller()


# (who, the refusal of a change: code and needle, or None; of the read, likewise)
Refusal = tuple[grpc.StatusCode, str] | None
ACCESS: list[tuple[str, Who, Refusal, Refusal]] = [
    ("the order's agent", _own, None, None),
    ("its supervisor", _boss, None, None),
    ("an administrator", _admin, None, None),
    ("another agent", _other_agent, (DENIED, "order_id"), (NOT_FOUND, "order_id")),
    ("another team's supervisor", _other_boss, (DENIED, "order_id"), (NOT_FOUND, "order_id")),
    ("a service for no employee", _service, (DENIED, "act"), None),
    ("a van seller", _van_seller, (DENIED, "no role admitted"), (NOT_FOUND, "order_id")),
]


@pytest.mark.parametrize(
    ("who", "caller", "change_refused", "read_refused"), ACCESS, ids=[a[0] for a in ACCESS]
)
async def test_who_may_amend_cancel_and_list_revisions(
    env: Env, who: str, caller: Who, change_refused: Refusal, read_refused: Refusal
) -> None:
    w, c = world(env), await new_customer(env)
    order = await ordered(env, c)
    principal = await caller(env, c)
    as_ = env.orders.orders_as(principal)
    listing = as_.ListOrderRevisions(os_.ListOrderRevisionsRequest(order_id=order.id))
    if read_refused is None:
        assert [r.revision for r in (await listing).revisions] == [1]
    else:
        await expect_error(listing, *read_refused)
    amendment = as_.AmendOrder(amend_request(order, [ln(w.water, "2")]))
    if change_refused is not None:
        await expect_error(amendment, *change_refused)
        await expect_error(as_.CancelOrder(cancel_request(order)), *change_refused)
        got = (await env.orders.orders.GetOrder(os_.GetOrderRequest(order_id=order.id))).order
        assert got == order
        return
    new = (await amendment).order
    assert new.revision == 2
    listed = await as_.ListOrderRevisions(os_.ListOrderRevisionsRequest(order_id=order.id))
    assert listed.revisions[1].amended_by == principal.subject
    done = (await as_.CancelOrder(cancel_request(new))).order
    assert done.status == S.ORDER_STATUS_CANCELLED


# --------------------------------------------------------------------------------- races
async def test_an_amendment_losing_to_a_confirmation_is_aborted_and_its_reservation_put_back(
    env: Env,
) -> None:
    """The servicer's three steps with the confirmation between the credit check and the
    write: ABORTED `order_id`, and the reservation of the amended total moved back to the
    confirmed order's."""
    w, c = world(env), await new_customer(env)
    order = await ordered(env, c, "10")
    app = env.app
    actor = Actor.of(c.agent.subject, c.agent.roles)
    cmd = amend.AmendCommand(
        order_id=order.id,
        amendment_id=new_id(),
        expected_revision=1,
        lines=[LineInput(w.water.id, "", "30")],
        delivery_date=None,
        warehouse_id="",
        comment="",
        override_reason="",
        actor=actor,
    )
    async with app.read_uow() as uow:
        plan = await amend.prepare_amendment(
            uow, cmd, today=app.today(), limits=app.limits, dates=app.dates
        )
    assert plan.credit is not None
    decision = await app.credit.check(plan.credit)
    assert await reserved(env, c.client_id) == Decimal("300.00")
    await env.orders.orders.UpdateOrderStatus(
        os_.UpdateOrderStatusRequest(
            request_id=new_id(), order_id=order.id, status=S.ORDER_STATUS_CONFIRMED
        )
    )
    with pytest.raises(Conflict, match=f"order_id: order {order.id} changed while it was amended"):
        async with app.uow() as uow:
            await amend.finish_amendment(uow, plan, decision, app.clock())
    await amend.put_back(app.credit, app.read_uow, order.id, app.today())
    assert await reserved(env, c.client_id) == Decimal("100.00")
    got = (await env.orders.orders.GetOrder(os_.GetOrderRequest(order_id=order.id))).order
    assert (got.status, got.revision, dec(got.gross_total)) == (
        S.ORDER_STATUS_CONFIRMED,
        1,
        Decimal("100.00"),
    )


async def test_amendments_racing_confirmations_leave_the_reservation_on_the_order(
    env: Env,
) -> None:
    """Sent at once over gRPC: whichever wins, the other is refused and settlements' reserved
    figure is the order's total as it stands."""
    w = world(env)
    for _ in range(4):
        c = await new_customer(env)
        order = await ordered(env, c, "10")
        amending = env.orders.orders_as(c.agent).AmendOrder(
            amend_request(order, [ln(w.water, "25")])
        )
        confirming = env.orders.orders.UpdateOrderStatus(
            os_.UpdateOrderStatusRequest(
                request_id=new_id(),
                order_id=order.id,
                status=S.ORDER_STATUS_CONFIRMED,
                expected_revision=1,
            )
        )
        a, b = await asyncio.gather(amending, confirming, return_exceptions=True)
        got = (await env.orders.orders.GetOrder(os_.GetOrderRequest(order_id=order.id))).order
        if isinstance(a, os_.AmendOrderResponse):
            assert isinstance(b, grpc.aio.AioRpcError) and b.code() == TOO_LATE, b
            assert (got.status, got.revision) == (S.ORDER_STATUS_SUBMITTED, 2)
        else:
            assert isinstance(a, grpc.aio.AioRpcError), a
            assert a.code() in (ABORTED, TOO_LATE) and "order_id" in (a.details() or "")
            assert isinstance(b, os_.UpdateOrderStatusResponse), b
            assert (got.status, got.revision) == (S.ORDER_STATUS_CONFIRMED, 1)
        assert await reserved(env, c.client_id) == dec(got.gross_total)
