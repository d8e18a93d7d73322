"""Visit ids on orders, van sales and returns, and the productive contacts (issue 15, increment
1; docs/contexts/sales-gaps.md 3.1), over real gRPC, NATS and databases.

* a known visit is checked (another outlet, another employee, MISSED), an unknown one
  accepted; its contact is judged again when the visit's event comes through the real clients
  feed consumer: matched, or marked mismatched and never productive;
* the figures are recomputed in the transaction of every change: a cancellation un-makes a
  productive visit, a held order counts once the credit hold is released;
* GetContactSales / ListContactSales: bad input named per field, the access rule over roles
  and scopes (own, a supervisor's team, company-wide), pages.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import grpc
from google.type import date_pb2

from fieldline.clients.events.v1 import events_pb2 as cev
from fieldline.clients.v1 import resources_pb2 as cres
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline_kit.testing.auth import Caller
from fieldline_kit.testing.events import publish_event
from fieldline_kit.testing.helpers import eventually_value, expect_error, new_id
from fieldline_orders.adapters import orm
from fieldline_orders.domain.feed import VisitState

from .identity import agent, van_seller
from .orders_harness import (
    Customer,
    Env,
    announced,
    count,
    dec,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    load,
    new_customer,
    new_van,
    overdue_debt,
    pb_date,
    q,
    sale_request,
    seller_of,
    set_policy,
    submit,
    submit_request,
    supervisor_of,
    today,
    world,
)

S = pb


async def known_visit(
    env: Env, c: Customer, *, agent_id: str = "", outlet_id: str = "", status: str = "IN_PROGRESS"
) -> str:
    """A visit the clients feed told orders of (put straight into its read model)."""
    visit_id = new_id()
    async with env.app.uow() as uow:
        await uow.feed.put_visit(
            VisitState(
                visit_id,
                agent_id or c.agent.subject,
                outlet_id or c.outlet_id,
                today(),
                status,
                1,
            )
        )
        await uow.commit()
    return visit_id


async def visit_event(
    env: Env,
    visit_id: str,
    agent_id: str,
    outlet_id: str,
    *,
    version: int = 1,
    status: int = cres.VISIT_STATUS_IN_PROGRESS,
) -> None:
    """The visit's event as clients' relay publishes it; waits until the feed applied it."""
    visit = cres.Visit(
        id=visit_id, agent_id=agent_id, outlet_id=outlet_id, date=pb_date(today()), status=status
    )
    message: Any = (
        cev.VisitMissed(visit=visit)
        if status == cres.VISIT_STATUS_MISSED
        else cev.VisitStarted(visit=visit)
    )
    await publish_event(
        env.js,
        "CLIENTS",
        "clients.events.v1",
        message,
        aggregate_type="visit",
        aggregate_id=visit_id,
        version=version,
    )

    async def applied() -> int:
        async with env.app.read_uow() as uow:
            held = await uow.contacts.visit(visit_id)
        return held.version if held else 0

    await eventually_value(applied, lambda v: v >= version, within=15)


async def contact(env: Env, visit_id: str, as_: Caller) -> pb.ContactSales:
    reply = await env.orders.orders_as(as_).GetContactSales(
        os_.GetContactSalesRequest(contact_id=visit_id)
    )
    return reply.contact_sales


async def contact_when(env: Env, visit_id: str, as_: Caller, version: int) -> pb.ContactSales:
    async def read() -> pb.ContactSales:
        return await contact(env, visit_id, as_)

    return await eventually_value(read, lambda c: c.version >= version, within=15)


# ------------------------------------------------------------------------- the visit check
async def test_an_unknown_visit_is_accepted_then_matched_by_its_event(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    visit_id = new_id()
    order = await submit(
        env, c, submit_request(c, [ln(w.water, "3"), ln(w.chips, "1")], visit_id=visit_id)
    )
    assert order.visit_id == visit_id and order.status == S.ORDER_STATUS_SUBMITTED
    got = await contact(env, visit_id, c.agent)
    assert (got.kind, got.employee_id, got.outlet_id) == (
        S.CONTACT_KIND_VISIT,
        c.agent.subject,
        c.outlet_id,
    )
    assert (got.orders, got.van_sales, got.returns, got.lines) == (1, 0, 0, 2)
    assert dec(got.gross_total) == dec(order.gross_total) == Decimal("85.55")
    assert got.productive and not got.mismatched
    assert dec(got.productive_minimum) == Decimal("0.01")
    assert list(got.order_ids) == [order.id] and got.version == 1
    (event,) = await announced(
        env, "ContactSalesChanged", lambda m: m.contact_sales.contact_id == visit_id
    )
    assert event.message.contact_sales == got  # type: ignore[attr-defined]
    assert (event.envelope.aggregate_type, event.envelope.aggregate_version) == (
        "contact_sales",
        1,
    )
    # The visit's event arrives: it matches, nothing changes.
    await visit_event(env, visit_id, c.agent.subject, c.outlet_id)
    assert await contact(env, visit_id, c.agent) == got
    listed = await env.orders.orders_as(c.agent).ListOrders(
        os_.ListOrdersRequest(visit_id=visit_id)
    )
    assert [o.id for o in listed.orders] == [order.id]


async def test_a_visit_arriving_at_another_outlet_marks_the_contact_never_productive(
    env: Env,
) -> None:
    w = world(env)
    c = await new_customer(env)
    visit_id = new_id()
    await submit(env, c, submit_request(c, [ln(w.water, "5")], visit_id=visit_id))
    assert (await contact(env, visit_id, c.agent)).productive
    elsewhere = new_id()
    await visit_event(env, visit_id, c.agent.subject, elsewhere)
    got = await contact_when(env, visit_id, c.agent, 2)
    assert got.mismatched and not got.productive
    assert got.outlet_id == elsewhere and got.orders == 1  # the figures stay, not their credit
    changes = await announced(
        env, "ContactSalesChanged", lambda m: m.contact_sales.contact_id == visit_id, expect=2
    )
    assert [
        (x.message.contact_sales.version, x.message.contact_sales.productive) for x in changes
    ] == [  # type: ignore[attr-defined]
        (1, True),
        (2, False),
    ]
    # Another order naming the (now known, mismatched) visit at the order's outlet is refused.
    await expect_error(
        env.orders.orders_as(c.agent).SubmitOrder(
            submit_request(c, [ln(w.water, "1")], visit_id=visit_id)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        f"visit_id: visit {visit_id} is at outlet {elsewhere}, not {c.outlet_id}",
    )


async def test_a_missed_visit_arriving_later_is_never_productive(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    visit_id = new_id()
    await submit(env, c, submit_request(c, [ln(w.water, "5")], visit_id=visit_id))
    await visit_event(env, visit_id, c.agent.subject, c.outlet_id, status=cres.VISIT_STATUS_MISSED)
    got = await contact_when(env, visit_id, c.agent, 2)
    assert got.mismatched and not got.productive


async def test_a_known_visit_must_match_the_order(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    other = await new_customer(env)
    api = env.orders.orders_as(c.agent)
    before = await count(env, orm.orders), await count(env, orm.contact_sales)
    cases = [
        (
            await known_visit(env, c, outlet_id=other.outlet_id),
            grpc.StatusCode.INVALID_ARGUMENT,
            "is at outlet",
        ),
        (
            await known_visit(env, c, agent_id=other.agent.subject),
            grpc.StatusCode.INVALID_ARGUMENT,
            "is another employee's",
        ),
        (
            await known_visit(env, c, status="MISSED"),
            grpc.StatusCode.FAILED_PRECONDITION,
            "was MISSED",
        ),
        ("not-a-uuid", grpc.StatusCode.INVALID_ARGUMENT, "must be a UUID"),
    ]
    for visit_id, code, text in cases:
        await expect_error(
            api.SubmitOrder(submit_request(c, [ln(w.water, "1")], visit_id=visit_id)),
            code,
            "visit_id",
            text,
        )
    assert (await count(env, orm.orders), await count(env, orm.contact_sales)) == before
    # The visit as it is: accepted.
    visit_id = await known_visit(env, c)
    order = await submit(env, c, submit_request(c, [ln(w.water, "1")], visit_id=visit_id))
    assert order.visit_id == visit_id
    assert (await contact(env, visit_id, c.agent)).productive


async def test_a_van_sale_and_a_return_in_a_visit(env: Env) -> None:
    w = world(env)
    van = await new_van(env)
    seller = seller_of(van)
    c = await new_customer(env, seller=seller)
    await load(env, van.id, q(w.beer, "24"))
    visit_id = await known_visit(env, c)
    sales = env.orders.vans_as(seller)
    # Checked as an order is.
    stranger = await known_visit(env, c, agent_id=new_id())
    await expect_error(
        sales.CompleteVanSale(_with_visit(sale_request(van, c, [ln(w.beer, "2")]), stranger)),
        grpc.StatusCode.INVALID_ARGUMENT,
        f"visit_id: visit {stranger} is another employee's",
    )
    sale = (
        await sales.CompleteVanSale(_with_visit(sale_request(van, c, [ln(w.beer, "6")]), visit_id))
    ).order
    assert sale.visit_id == visit_id
    missed = await known_visit(env, c, status="MISSED")
    for bad, code in (
        (missed, grpc.StatusCode.FAILED_PRECONDITION),
        ("x", grpc.StatusCode.INVALID_ARGUMENT),
    ):
        await expect_error(
            sales.AcceptReturn(_return(van, c, w.beer, visit_id=bad)), code, "visit_id"
        )
    returned = (await sales.AcceptReturn(_return(van, c, w.beer, visit_id=visit_id))).goods_return
    assert returned.visit_id == visit_id
    got = await contact(env, visit_id, seller)
    assert (got.orders, got.van_sales, got.returns, got.lines) == (0, 1, 1, 1)
    assert dec(got.gross_total) == dec(sale.gross_total)  # returns are not deducted
    assert list(got.order_ids) == [sale.id] and list(got.return_ids) == [returned.id]
    assert got.productive and got.version == 2


def _with_visit(request: vs.CompleteVanSaleRequest, visit_id: str) -> vs.CompleteVanSaleRequest:
    request.visit_id = visit_id
    return request


def _return(van: vs.Van, c: Customer, product: pb.Product, *, visit_id: str) -> Any:
    return vs.AcceptReturnRequest(
        request_id=new_id(),
        return_id=new_id(),
        van_id=van.id,
        client_id=c.client_id,
        outlet_id=c.outlet_id,
        lines=[vs.ReturnLine(product_id=product.id, quantity="1", reason="бой")],
        visit_id=visit_id,
    )


# --------------------------------------------------------------- recomputed with each change
async def test_a_cancellation_unmakes_a_productive_visit(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    visit_id = await known_visit(env, c)
    first = await submit(env, c, submit_request(c, [ln(w.water, "2")], visit_id=visit_id))
    second = await submit(env, c, submit_request(c, [ln(w.chips, "1")], visit_id=visit_id))
    got = await contact(env, visit_id, c.agent)
    assert (got.orders, got.lines, dec(got.gross_total), got.productive) == (
        2,
        2,
        Decimal("75.55"),
        True,
    )
    for order in (first, second):
        await env.orders.orders.UpdateOrderStatus(
            os_.UpdateOrderStatusRequest(
                request_id=new_id(), order_id=order.id, status=S.ORDER_STATUS_CANCELLED
            )
        )
    got = await contact(env, visit_id, c.agent)
    assert (got.orders, got.lines, dec(got.gross_total), got.productive) == (
        0,
        0,
        Decimal("0.00"),
        False,
    )
    assert not got.mismatched and list(got.order_ids) == [] and got.version == 4


async def test_a_held_order_counts_once_its_credit_hold_is_released(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    await set_policy(env, c.client_id, spb.DEBT_POLICY_MODE_BLOCK)
    await overdue_debt(env, c.client_id)
    visit_id = await known_visit(env, c)
    request = submit_request(c, [ln(w.water, "10")], visit_id=visit_id)
    held = await submit(env, c, request)
    assert held.status == S.ORDER_STATUS_CREDIT_HOLD
    got = await contact(env, visit_id, c.agent)
    assert (got.orders, got.productive, got.version) == (0, False, 1)
    boss = await supervisor_of(env, c.agent)
    again = os_.SubmitOrderRequest()
    again.CopyFrom(request)
    again.request_id = new_id()
    again.credit_override.reason = "обещал оплатить"
    released = await submit(env, c, again, as_=boss)
    assert released.status == S.ORDER_STATUS_SUBMITTED
    got = await contact(env, visit_id, boss)  # the supervisor sees its team's contacts
    assert (got.orders, dec(got.gross_total), got.productive, got.version) == (
        1,
        Decimal("100.00"),
        True,
        2,
    )


# ------------------------------------------------------------------------ reads and access
async def test_bad_input_is_named_per_field(env: Env) -> None:
    api = env.orders.orders
    await expect_error(
        api.GetContactSales(os_.GetContactSalesRequest(contact_id="x")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "contact_id",
    )
    await expect_error(
        api.GetContactSales(os_.GetContactSalesRequest()),
        grpc.StatusCode.INVALID_ARGUMENT,
        "contact_id",
    )
    await expect_error(
        api.GetContactSales(os_.GetContactSalesRequest(contact_id=new_id())),
        grpc.StatusCode.NOT_FOUND,
        "contact_id",
    )
    bad: list[tuple[os_.ListContactSalesRequest, str]] = [
        (os_.ListContactSalesRequest(employee_id="x"), "employee_id"),
        (os_.ListContactSalesRequest(page_size=-1), "page_size"),
        (os_.ListContactSalesRequest(page_token="garbage"), "page_token"),
        (
            os_.ListContactSalesRequest(
                from_date=pb_date(today()), to_date=pb_date(today() - timedelta(days=1))
            ),
            "to_date",
        ),
        (
            os_.ListContactSalesRequest(from_date=date_pb2.Date(year=2024, month=2, day=30)),
            "from_date",
        ),
    ]
    for request, field in bad:
        await expect_error(api.ListContactSales(request), grpc.StatusCode.INVALID_ARGUMENT, field)
    await expect_error(
        api.ListOrders(os_.ListOrdersRequest(visit_id="x")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "visit_id",
    )


async def test_each_sees_its_own_contacts_a_supervisor_its_teams_the_company_all(
    env: Env,
) -> None:
    w = world(env)
    mine, theirs = await new_customer(env), await new_customer(env)
    visits = {}
    for c in (mine, theirs):
        visits[c.agent.subject] = visit_id = new_id()
        await submit(env, c, submit_request(c, [ln(w.water, "1")], visit_id=visit_id))
    boss = await supervisor_of(env, mine.agent)
    admin = Caller(new_id(), {"ADMIN"})
    service = Caller("svc:kpi", {"SERVICE"}, kind="service")
    mine_id, theirs_id = visits[mine.agent.subject], visits[theirs.agent.subject]
    # (caller, the contacts it sees of the two)
    table: list[tuple[Caller, set[str]]] = [
        (mine.agent, {mine_id}),
        (theirs.agent, {theirs_id}),
        (boss, {mine_id}),
        (admin, {mine_id, theirs_id}),
        (service, {mine_id, theirs_id}),
        (van_seller(), set()),
        (agent(), set()),
    ]
    for caller, sees in table:
        api = env.orders.orders_as(caller)
        for visit_id in (mine_id, theirs_id):
            request = os_.GetContactSalesRequest(contact_id=visit_id)
            if visit_id in sees:
                assert (await api.GetContactSales(request)).contact_sales.contact_id == visit_id
            else:
                await expect_error(
                    api.GetContactSales(request), grpc.StatusCode.NOT_FOUND, "contact_id"
                )
        listed = await _all(api, os_.ListContactSalesRequest(from_date=pb_date(today())))
        assert {x.contact_id for x in listed} & {mine_id, theirs_id} == sees, caller
        # Naming another's employee id: nothing (not an error), unless in scope.
        named = await _all(api, os_.ListContactSalesRequest(employee_id=theirs.agent.subject))
        assert {x.contact_id for x in named} & {mine_id, theirs_id} == sees & {theirs_id}
    for role in ("MERCHANDISER", "DISTRIBUTOR_MANAGER", "TECHNICIAN"):
        await expect_error(
            env.orders.orders_as(Caller(new_id(), {role})).GetContactSales(
                os_.GetContactSalesRequest(contact_id=mine_id)
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )


async def _all(api: Any, request: os_.ListContactSalesRequest) -> list[pb.ContactSales]:
    out: list[pb.ContactSales] = []
    request.page_size = 2
    while True:
        page = await api.ListContactSales(request)
        out += list(page.contact_sales)
        if not page.next_page_token:
            return out
        request.page_token = page.next_page_token


async def test_an_agents_contacts_page_by_day_then_id(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    ids = sorted(new_id() for _ in range(5))
    for visit_id in reversed(ids):
        await submit(env, c, submit_request(c, [ln(w.water, "1")], visit_id=visit_id))
    api = env.orders.orders_as(c.agent)
    pages = []
    request = os_.ListContactSalesRequest(page_size=2)
    while True:
        page = await api.ListContactSales(request)
        pages.append([x.contact_id for x in page.contact_sales])
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    assert pages == [ids[0:2], ids[2:4], ids[4:]]
    empty = await api.ListContactSales(
        os_.ListContactSalesRequest(from_date=pb_date(today() + timedelta(days=1)))
    )
    assert list(empty.contact_sales) == []


async def test_orders_of_one_visit_submitted_at_once_are_all_counted(env: Env) -> None:
    """Batches in flight together (two on PostgreSQL) recompute one contact: the second waits
    for the first's row lock and reads its order, so none is lost."""
    w = world(env)
    c = await new_customer(env)
    visit_id = await known_visit(env, c)
    api = env.orders.orders_as(c.agent)
    requests = [submit_request(c, [ln(w.water, "1")], visit_id=visit_id) for _ in range(12)]
    orders = await asyncio.gather(*(api.SubmitOrder(r) for r in requests))
    got = await contact(env, visit_id, c.agent)
    assert got.orders == 12 and dec(got.gross_total) == Decimal("120.00")
    assert sorted(got.order_ids) == sorted(o.order.id for o in orders)
    changes = await announced(
        env,
        "ContactSalesChanged",
        lambda m: m.contact_sales.contact_id == visit_id,
        expect=got.version,
    )
    versions = [x.message.contact_sales.version for x in changes]  # type: ignore[attr-defined]
    assert versions == list(range(1, got.version + 1))
