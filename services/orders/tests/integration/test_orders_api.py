"""Pre-sale orders over gRPC against a real settlements service, database and NATS."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import grpc
import pytest
from sqlalchemy import select

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import closed_port, expect_error, new_id
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.schema import kit

from .identity import supervisor
from .orders_harness import (
    Customer,
    Env,
    count,
    dec,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    new_customer,
    new_distributor,
    overdue_debt,
    pb_date,
    prices_from,
    rub,
    set_policy,
    start_orders,
    submit,
    submit_request,
    supervisor_of,
    today,
    world,
)

S = pb


async def test_allowed_order_is_priced_submitted_and_published(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    request = submit_request(
        c,
        [ln(w.beer, "3"), ln(w.beer, "2", "box"), ln(w.chips, "1", manual="5")],
        delivery_date=pb_date(today() + timedelta(days=1)),
        comment="до обеда",
    )
    order = (await env.orders.orders_as(c.agent).SubmitOrder(request)).order
    assert order.status == S.ORDER_STATUS_SUBMITTED
    assert order.kind == S.ORDER_KIND_PRE_SALE
    assert order.credit.outcome == S.CREDIT_OUTCOME_ALLOW
    assert not order.credit.fallback
    first, boxes, chips = order.lines
    assert (first.base_quantity, dec(first.gross_amount), dec(first.vat_amount)) == (
        "3",
        Decimal("99.99"),
        Decimal("16.67"),
    )
    assert first.price_source == f"price_list:{w.price_list_id}"
    assert (boxes.unit, boxes.quantity, boxes.base_quantity) == ("box", "2", "24")
    assert (boxes.container_type, boxes.container_quantity) == ("bottle-0.5", "24")
    assert dec(boxes.gross_amount) == Decimal("799.92")
    # 55.55 × 0.95 = 52.7725 → 52.77; VAT 22 incl.: 52.77 × 22 / 122 = 9.5158… → 9.52
    assert (dec(chips.gross_amount), dec(chips.vat_amount), chips.manual_discount_percent) == (
        Decimal("52.77"),
        Decimal("9.52"),
        "5",
    )
    assert dec(order.gross_total) == Decimal("99.99") + Decimal("799.92") + Decimal("52.77")
    assert dec(order.net_total) + dec(order.vat_total) == dec(order.gross_total)
    assert order.order_date == pb_date(today())
    got = (await env.orders.orders.GetOrder(os_.GetOrderRequest(order_id=order.id))).order
    assert got == order
    events = await published(env.js, "ORDERS", about(order.id), expect=1)
    assert [e.name for e in events] == ["OrderSubmitted"]
    assert events[0].message.order == order  # type: ignore[attr-defined]


async def _held(env: Env) -> tuple[os_.SubmitOrderRequest, pb.Order, Customer]:
    w = world(env)
    c = await new_customer(env)
    await set_policy(env, c.client_id, spb.DEBT_POLICY_MODE_BLOCK)
    await overdue_debt(env, c.client_id)
    request = submit_request(c, [ln(w.water, "10")])
    order = await submit(env, c, request)
    return request, order, c


async def test_block_mode_with_overdue_debt_puts_the_order_on_credit_hold(env: Env) -> None:
    _request, order, _c = await _held(env)
    assert order.status == S.ORDER_STATUS_CREDIT_HOLD
    assert order.credit.outcome == S.CREDIT_OUTCOME_BLOCK
    assert not order.credit.fallback
    assert order.credit.reasons and any("overdue" in r.lower() for r in order.credit.reasons)
    events = await published(env.js, "ORDERS", about(order.id), expect=1)
    assert [e.name for e in events] == ["OrderHeld"]


async def test_warn_mode_submits_with_the_reasons(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    await set_policy(env, c.client_id, spb.DEBT_POLICY_MODE_WARN)
    await overdue_debt(env, c.client_id)
    order = (
        await env.orders.orders_as(c.agent).SubmitOrder(submit_request(c, [ln(w.water, "1")]))
    ).order
    assert order.status == S.ORDER_STATUS_SUBMITTED
    assert order.credit.outcome == S.CREDIT_OUTCOME_WARN
    assert any("overdue" in r.lower() for r in order.credit.reasons)
    assert [e.name for e in await published(env.js, "ORDERS", about(order.id), expect=1)] == [
        "OrderSubmitted"
    ]


async def test_ignore_mode_submits(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    await set_policy(env, c.client_id, spb.DEBT_POLICY_MODE_IGNORE)
    await overdue_debt(env, c.client_id)
    order = (
        await env.orders.orders_as(c.agent).SubmitOrder(submit_request(c, [ln(w.water, "1")]))
    ).order
    assert order.status == S.ORDER_STATUS_SUBMITTED
    assert order.credit.outcome == S.CREDIT_OUTCOME_ALLOW


async def test_policy_not_at_order_submit_stage_allows(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    await set_policy(env, c.client_id, spb.DEBT_POLICY_MODE_BLOCK, stages=(spb.STAGE_VAN_SALE,))
    await overdue_debt(env, c.client_id)
    order = (
        await env.orders.orders_as(c.agent).SubmitOrder(submit_request(c, [ln(w.water, "1")]))
    ).order
    assert order.status == S.ORDER_STATUS_SUBMITTED


async def test_held_order_submitted_again_by_a_supervisor_with_a_reason_is_overridden(
    env: Env,
) -> None:
    request, held, c = await _held(env)
    # The agent asking for an override (its token has no override role): ignored, still held
    # (decision recorded again).
    again = os_.SubmitOrderRequest()
    again.CopyFrom(request)
    again.request_id = new_id()
    again.credit_override.reason = "обещал оплатить завтра"
    still = await submit(env, c, again)
    assert still.status == S.ORDER_STATUS_CREDIT_HOLD
    assert still.version == held.version + 1
    # The agent's supervisor (a real SUPERVISOR token, forwarded to settlements): overridden.
    boss = await supervisor_of(env, c.agent)
    again.request_id = new_id()
    released = await submit(env, c, again, as_=boss)
    assert released.status == S.ORDER_STATUS_SUBMITTED
    assert released.credit.outcome == S.CREDIT_OUTCOME_OVERRIDDEN
    assert released.credit.override_by == boss.subject
    assert released.credit.override_reason == "обещал оплатить завтра"
    assert released.lines == held.lines and released.gross_total == held.gross_total
    assert released.agent_id == held.agent_id  # the order stays the agent's
    names = [e.name for e in await published(env.js, "ORDERS", about(held.id), expect=3)]
    assert names == ["OrderHeld", "OrderHeld", "OrderSubmitted"]
    # Submitting a submitted order once more changes nothing.
    again.request_id = new_id()
    assert await submit(env, c, again) == released


async def test_override_without_a_reason_is_refused(env: Env) -> None:
    request, _held_order, _c = await _held(env)
    request.request_id = new_id()
    request.credit_override.reason = "  "
    await expect_error(
        env.orders.orders_as(supervisor()).SubmitOrder(request),
        grpc.StatusCode.INVALID_ARGUMENT,
        "credit_override.reason",
    )


async def test_held_order_released_after_payment(env: Env) -> None:
    request, held, c = await _held(env)
    await env.settlements.api.RecordPayment(
        ss.RecordPaymentRequest(
            request_id=new_id(),
            payment=spb.Payment(
                id=new_id(),
                kind=spb.PAYMENT_KIND_BANK,
                client_id=held.client_id,
                date=pb_date(today()),
                amount=rub("1000.00"),
            ),
        )
    )
    request.request_id = new_id()
    released = await submit(env, c, request)
    assert released.status == S.ORDER_STATUS_SUBMITTED
    assert released.credit.outcome == S.CREDIT_OUTCOME_ALLOW


async def test_same_pre_sale_submitted_three_times_is_one_order_and_one_event(
    env: Env,
) -> None:
    w = world(env)
    c = await new_customer(env)
    request = submit_request(c, [ln(w.beer, "1", "box")])
    first = (await env.orders.orders_as(c.agent).SubmitOrder(request)).order
    same_request = (
        await env.orders.orders_as(c.agent).SubmitOrder(request)
    ).order  # same request_id
    retry = os_.SubmitOrderRequest()
    retry.CopyFrom(request)  # type: ignore[arg-type]
    retry.request_id = new_id()  # the device retries under a new request id
    third = (await env.orders.orders_as(c.agent).SubmitOrder(retry)).order
    assert first == same_request == third
    assert await count(env, orm.orders, orm.orders.c.id == first.id) == 1
    events = await published(env.js, "ORDERS", about(first.id), expect=1, settle=1.0)
    assert [e.name for e in events] == ["OrderSubmitted"]


async def test_concurrent_submits_of_one_order(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    order_id = new_id()
    requests = [submit_request(c, [ln(w.water, "2")], order_id=order_id) for _ in range(3)]
    replies = await asyncio.gather(
        *(env.orders.orders_as(c.agent).SubmitOrder(r) for r in requests)
    )
    assert len({r.order.SerializeToString() for r in replies}) == 1
    assert await count(env, orm.orders, orm.orders.c.id == order_id) == 1
    events = await published(env.js, "ORDERS", about(order_id), expect=1, settle=1.0)
    assert [e.name for e in events] == ["OrderSubmitted"]


async def test_request_id_reused_for_another_order_is_refused(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    request = submit_request(c, [ln(w.water, "1")])
    await env.orders.orders_as(c.agent).SubmitOrder(request)
    request.lines[0].quantity = "2"
    await expect_error(
        env.orders.orders_as(c.agent).SubmitOrder(request),
        grpc.StatusCode.INVALID_ARGUMENT,
        "request_id",
    )


async def test_settlements_unreachable_falls_back_to_block(
    env: Env, db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    w = world(env)
    target = f"127.0.0.1:{closed_port()}"
    async with start_orders(
        db_factory, nats_server.url, target, credit_check_timeout_seconds=1.0
    ) as down:
        env2 = Env(down, env.settlements, env.js, w)
        # the second orders process has its own database: same catalog ids, re-imported
        await _copy_world(env, env2)
        c = await new_customer(env2)
        order = (
            await down.orders_as(c.agent).SubmitOrder(submit_request(c, [ln(w.water, "1")]))
        ).order
    assert order.status == S.ORDER_STATUS_CREDIT_HOLD
    assert order.credit.outcome == S.CREDIT_OUTCOME_BLOCK
    assert order.credit.fallback
    assert list(order.credit.reasons) == ["settlements unavailable"]


async def test_settlements_unreachable_with_fallback_allow(
    env: Env, db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    w = world(env)
    target = f"127.0.0.1:{closed_port()}"
    async with start_orders(
        db_factory,
        nats_server.url,
        target,
        credit_check_timeout_seconds=1.0,
        credit_check_fallback="allow",
    ) as down:
        env2 = Env(down, env.settlements, env.js, w)
        await _copy_world(env, env2)
        c = await new_customer(env2)
        order = (
            await down.orders_as(c.agent).SubmitOrder(submit_request(c, [ln(w.water, "1")]))
        ).order
    assert order.status == S.ORDER_STATUS_SUBMITTED
    assert order.credit.outcome == S.CREDIT_OUTCOME_WARN
    assert order.credit.fallback
    assert list(order.credit.reasons) == ["settlements unavailable"]


async def _copy_world(src: Env, dst: Env) -> None:
    """Re-import the world's catalog into another orders database (ids are kept)."""
    w = world(src)
    groups = []
    for gid in (w.group_id, w.subgroup_id):
        async with src.app.sessions() as s:
            row = (
                await s.execute(select(orm.product_groups).where(orm.product_groups.c.id == gid))
            ).one()
        groups.append(
            pb.ProductGroup(
                id=row.id, external_id=row.external_id, name=row.name, parent_id=row.parent_id
            )
        )
    for g in groups:  # parents first
        await dst.orders.catalog.UpsertProductGroups(
            cs.UpsertProductGroupsRequest(request_id=new_id(), groups=[g])
        )
    await dst.orders.catalog.UpsertProducts(
        cs.UpsertProductsRequest(request_id=new_id(), products=[w.beer, w.water, w.chips])
    )
    async with src.app.sessions() as s:
        pt = (
            await s.execute(select(orm.price_types).where(orm.price_types.c.id == w.price_type_id))
        ).one()
        pl = (
            await s.execute(select(orm.price_lists).where(orm.price_lists.c.id == w.price_list_id))
        ).one()
    await dst.orders.catalog.UpsertPriceTypes(
        cs.UpsertPriceTypesRequest(
            request_id=new_id(),
            price_types=[
                pb.PriceType(
                    id=pt.id,
                    external_id=pt.external_id,
                    name=pt.name,
                    currency_code=pt.currency_code,
                    vat_included=pt.vat_included,
                )
            ],
        )
    )
    await dst.orders.catalog.UpsertPriceLists(
        cs.UpsertPriceListsRequest(
            request_id=new_id(),
            price_lists=[
                pb.PriceList(
                    id=pl.id,
                    external_id=pl.external_id,
                    price_type_id=pt.id,
                    valid_from=pb_date(pl.valid_from),
                    entries=[
                        pb.PriceListEntry(product_id=w.beer.id, price=rub("33.33")),
                        pb.PriceListEntry(product_id=w.water.id, price=rub("10.00")),
                        pb.PriceListEntry(product_id=w.chips.id, price=rub("55.55")),
                    ],
                )
            ],
        )
    )


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("mutate", "code", "needles"),
    [
        (
            lambda r, w: r.lines[1].__setattr__("product_id", new_id()),
            grpc.StatusCode.NOT_FOUND,
            ("lines[1].product_id", "product"),
        ),
        (
            lambda r, w: r.lines[1].__setattr__("product_id", "beer"),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("lines[1].product_id: must be a UUID",),
        ),
        (
            lambda r, w: r.lines[0].__setattr__("quantity", "0"),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("lines[0].quantity: must be positive",),
        ),
        (
            lambda r, w: r.lines[0].__setattr__("quantity", "-2"),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("lines[0].quantity: must be positive",),
        ),
        (
            lambda r, w: r.lines[0].__setattr__("quantity", "1,5"),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("lines[0].quantity: must be a decimal",),
        ),
        (
            lambda r, w: r.lines[1].__setattr__("unit", "keg"),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("lines[1].unit: 'keg' is not a unit",),
        ),
        (
            lambda r, w: r.lines[0].__setattr__("manual_discount_percent", "7"),
            grpc.StatusCode.PERMISSION_DENIED,
            ("lines[0].manual_discount_percent", "5%"),
        ),
        (
            lambda r, w: r.order_date.CopyFrom(pb_date(prices_from() - timedelta(days=1))),
            grpc.StatusCode.FAILED_PRECONDITION,
            ("lines[0].product_id: no price", "no price list", "valid on"),
        ),
        (
            lambda r, w: r.order_date.CopyFrom(
                pb.Order().order_date.__class__(year=2024, month=2, day=30)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("order_date: is not a calendar date",),
        ),
        (
            lambda r, w: r.__setattr__("outlet_id", new_id()),
            grpc.StatusCode.PERMISSION_DENIED,
            ("outlet_id", "outside your scope"),
        ),
        (
            lambda r, w: r.__setattr__("order_id", ""),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("order_id: is required",),
        ),
        (
            lambda r, w: r.ClearField("lines"),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("lines: at least one",),
        ),
        (
            lambda r, w: r.delivery_date.CopyFrom(pb_date(date(2020, 1, 1))),
            grpc.StatusCode.INVALID_ARGUMENT,
            ("delivery_date",),
        ),
    ],
    ids=[
        "unknown product",
        "malformed product id",
        "zero quantity",
        "negative quantity",
        "malformed quantity",
        "unit not of the product",
        "manual discount over the role's bound",
        "no price list valid on the date",
        "malformed date",
        "outlet not on the agent's routes",
        "no order id",
        "no lines",
        "delivery before order",
    ],
)
async def test_bad_input_is_refused_and_writes_nothing(
    env: Env, mutate: object, code: grpc.StatusCode, needles: tuple[str, ...]
) -> None:
    w = world(env)
    c = await new_customer(env)
    request = submit_request(c, [ln(w.beer, "1"), ln(w.water, "2", "box")])
    mutate(request, w)  # type: ignore[operator]
    orders_before, outbox_before = await count(env, orm.orders), await count(env, kit.outbox)
    await expect_error(env.orders.orders_as(c.agent).SubmitOrder(request), code, *needles)
    assert await count(env, orm.orders) == orders_before
    assert await count(env, kit.outbox) == outbox_before
    assert await count(env, orm.orders, orm.orders.c.id == request.order_id) == 0


async def test_outlet_of_another_client_is_refused(env: Env) -> None:
    w = world(env)
    c, other = await new_customer(env), await new_customer(env)
    request = submit_request(c, [ln(w.water, "1")])
    request.outlet_id = other.outlet_id
    # The agent: another agent's outlet is outside its scope, whoever's client it is.
    await expect_error(
        env.orders.orders_as(c.agent).SubmitOrder(request),
        grpc.StatusCode.PERMISSION_DENIED,
        "outlet_id",
    )
    # The supervisor of both (both routes in its scope): the outlet is the wrong client's.
    boss = await supervisor_of(env, c.agent, other.agent)
    await expect_error(
        env.orders.orders_as(boss).SubmitOrder(request),
        grpc.StatusCode.INVALID_ARGUMENT,
        "outlet_id: belongs to another client",
    )
    # An outlet on no route of its team (here: one nobody knows): outside its scope. (An
    # unknown outlet is NOT_FOUND for a company-wide caller: test_submit_orders.py.)
    request.outlet_id = new_id()
    await expect_error(
        env.orders.orders_as(boss).SubmitOrder(request),
        grpc.StatusCode.PERMISSION_DENIED,
        "outlet_id",
    )


# ---------------------------------------------------------------------------- lifecycle
async def _status(
    env: Env, order_id: str, status: int, *, delivered: list[os_.DeliveredLine] | None = None
) -> pb.Order:
    reply = await env.orders.orders.UpdateOrderStatus(
        os_.UpdateOrderStatusRequest(
            request_id=new_id(),
            order_id=order_id,
            status=status,
            delivered=delivered or [],
            reason="",
        )
    )
    return reply.order


async def test_fulfilment_lifecycle_and_events(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    distributor = await new_distributor(env)
    order = (
        await env.orders.orders_as(c.agent).SubmitOrder(
            submit_request(
                c, [ln(w.beer, "1", "box"), ln(w.water, "5")], distributor_id=distributor
            )
        )
    ).order
    confirmed = await _status(env, order.id, S.ORDER_STATUS_CONFIRMED)
    again = await _status(env, order.id, S.ORDER_STATUS_CONFIRMED)
    assert again.version == confirmed.version  # same status: no-op
    await expect_error(
        _status(env, order.id, S.ORDER_STATUS_DELIVERED),
        grpc.StatusCode.FAILED_PRECONDITION,
        "from CONFIRMED to DELIVERED",
    )
    await _status(env, order.id, S.ORDER_STATUS_SHIPPED)
    await expect_error(
        _status(env, order.id, S.ORDER_STATUS_PARTIALLY_DELIVERED),
        grpc.StatusCode.INVALID_ARGUMENT,
        "delivered: is required",
    )
    partial = await _status(
        env,
        order.id,
        S.ORDER_STATUS_PARTIALLY_DELIVERED,
        delivered=[os_.DeliveredLine(product_id=w.beer.id, base_quantity="10")],
    )
    assert [x.delivered_base_quantity for x in partial.lines] == ["10", "0"]
    await expect_error(
        _status(env, order.id, S.ORDER_STATUS_CANCELLED),
        grpc.StatusCode.FAILED_PRECONDITION,
        "PARTIALLY_DELIVERED",
        "CANCELLED",
    )
    events = await published(env.js, "ORDERS", about(order.id), expect=4)
    assert [e.name for e in events] == [
        "OrderSubmitted",
        "OrderConfirmed",
        "OrderStatusChanged",
        "OrderStatusChanged",
    ]
    assert events[3][1].previous_status == S.ORDER_STATUS_SHIPPED  # type: ignore[attr-defined]
    assert events[3][1].order.version == partial.version  # type: ignore[attr-defined]
    await expect_error(
        _status(env, new_id(), S.ORDER_STATUS_SHIPPED), grpc.StatusCode.NOT_FOUND, "order_id"
    )
    await expect_error(
        _status(env, order.id, 0), grpc.StatusCode.INVALID_ARGUMENT, "status: is required"
    )

    # listing by distributor, and the fulfilment report
    listed = await env.orders.orders.ListOrders(os_.ListOrdersRequest(distributor_id=distributor))
    assert [o.id for o in listed.orders] == [order.id]
    report = await env.orders.orders.GetFulfilmentReport(
        os_.GetFulfilmentReportRequest(distributor_id=distributor)
    )
    (dist_row, agent_row) = report.rows
    assert (dist_row.dimension, dist_row.key, dist_row.orders) == ("distributor", distributor, 1)
    assert (dist_row.ordered_quantity, dist_row.delivered_quantity) == ("17", "10")
    assert dist_row.fill_rate_percent == "58.82"
    assert (agent_row.dimension, agent_row.key) == ("agent", order.agent_id)


async def test_list_orders_filters_and_pages(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    ids = []
    for day in (3, 1, 2, 1):
        o = (
            await env.orders.orders_as(c.agent).SubmitOrder(
                submit_request(
                    c,
                    [ln(w.water, "1")],
                    order_date=pb_date(today() - timedelta(days=day)),
                )
            )
        ).order
        ids.append((o.order_date.day, o.id))
    seen: list[str] = []
    token = ""
    while True:
        page = await env.orders.orders.ListOrders(
            os_.ListOrdersRequest(client_id=c.client_id, page_size=1, page_token=token)
        )
        seen.extend(o.id for o in page.orders)
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == 4 and set(seen) == {i for _, i in ids}
    got = await env.orders.orders.ListOrders(
        os_.ListOrdersRequest(
            agent_id=c.agent.subject,
            from_date=pb_date(today() - timedelta(days=2)),
            to_date=pb_date(today() - timedelta(days=1)),
            status=S.ORDER_STATUS_SUBMITTED,
        )
    )
    assert len(got.orders) == 3
    dates = [(o.order_date.year, o.order_date.month, o.order_date.day) for o in got.orders]
    assert dates == sorted(dates)
    none = await env.orders.orders.ListOrders(
        os_.ListOrdersRequest(client_id=c.client_id, status=S.ORDER_STATUS_CANCELLED)
    )
    assert list(none.orders) == []
    await expect_error(
        env.orders.orders.ListOrders(os_.ListOrdersRequest(page_token="garbage!")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "page_token",
    )
