"""Orders priced with their promotions (issue 15, increment 10; docs/contexts/sales-gaps.md
3.7), over real gRPC, NATS and databases.

* SubmitOrder: a percent off on the lines of its set, exact to the kopeck, explained line by
  line; free goods as a free line; the device's expectation judged (MATCH, DIFFERENT,
  MISSING with the reason, UNEXPECTED) and kept as sent; bad expectations refused, naming the
  field, writing nothing; the grace day (an order of the last day arriving the next day gets
  it, two days later it has ENDED); a promotion upserted after an order was priced reaches the
  next one (the catalog cache follows it); the credit check is asked for the total after
  promotions; GetOrder and the event show what the answer showed.
* PreviewOrder: what SubmitOrder would price, nothing written; outside the caller's routes
  NOT_FOUND.
* CompleteVanSale: free goods leave the van too; not enough of them refuses the sale.
* AmendOrder: the new revision judged again; the old one keeps its promotions.

Each test targets its promotions at its own client, so the module's tests do not meet.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import grpc
from google.type import money_pb2
from sqlalchemy import select

from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import promotions_service_pb2 as ps
from fieldline.orders.v1 import promotions_service_pb2_grpc as ps_grpc
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.orders.v1 import van_service_pb2 as vs
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_orders.adapters import orm

from .identity import agent
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
    pb_date,
    q,
    rub,
    sale_request,
    seller_of,
    submit,
    submit_request,
    today,
    world,
)


async def upsert(env: Env, *records: pb.Promotion) -> list[str]:
    stub = env.orders.stub(ps_grpc.PromotionsServiceStub)
    reply = await stub.UpsertPromotions(
        ps.UpsertPromotionsRequest(request_id=new_id(), promotions=list(records))
    )
    for r in reply.results:
        assert r.error == "", r.error
    return [r.id for r in reply.results]


def promotion(c: Customer, **kw: Any) -> pb.Promotion:
    """A promotion of this month for the customer's client only (stackable unless told)."""
    values: dict[str, Any] = {
        "external_id": f"P-{new_id()[:8]}",
        "name": "Весна",
        "valid_from": pb_date(today() - timedelta(days=3)),
        "valid_to": pb_date(today() + timedelta(days=27)),
        "currency_code": "RUB",
        "targeting": pb.PromotionTargeting(client_ids=[c.client_id]),
        "combinability": pb.PROMOTION_COMBINABILITY_STACKABLE,
    }
    values.update(kw)
    return pb.Promotion(**values)


def expected(promotion_id: str, benefit: str, *free: tuple[str, str]) -> pb.ExpectedPromotion:
    return pb.ExpectedPromotion(
        promotion_id=promotion_id,
        benefit=rub(benefit),
        free_lines=[pb.ExpectedFreeLine(product_id=p, base_quantity=n) for p, n in free],
    )


def by_id(order: pb.Order) -> dict[str, pb.AppliedPromotion]:
    return {a.promotion_id: a for a in order.promotions}


# ------------------------------------------------------------------------------- submit
async def test_a_percent_off_prices_the_lines_of_its_set_exactly_and_says_why(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    [five] = await upsert(
        env,
        promotion(
            c, name="Пиво −5 %", product_ids=[w.beer.id], percent_off=pb.PercentOff(percent="5")
        ),
    )
    order = await submit(env, c, submit_request(c, [ln(w.beer, "7"), ln(w.water, "3")]))
    beer, water = order.lines
    # 7 × 33.33 = 233.31; × 0.95 = 221.6445 → 221.64; −11.67. Water untouched.
    assert (dec(beer.gross_amount), dec(beer.promotion_discount)) == (
        Decimal("221.64"),
        Decimal("11.67"),
    )
    [step] = beer.promotions
    assert (step.promotion_id, dec(step.benefit)) == (five, Decimal("11.67"))
    assert "5% off" in step.formula and "233.31 → 221.64" in step.formula
    assert (dec(water.gross_amount), len(water.promotions)) == (Decimal("30.00"), 0)
    assert dec(order.gross_total) == Decimal("251.64")
    [applied] = order.promotions
    assert (applied.status, applied.match, dec(applied.benefit)) == (
        pb.APPLIED_PROMOTION_STATUS_APPLIED,
        pb.PROMOTION_MATCH_UNEXPECTED,  # the device expected nothing
        Decimal("11.67"),
    )
    assert applied.name == "Пиво −5 %" and applied.budget_consumed == ""
    # Kept: GetOrder and the event show what the answer showed.
    got = await env.orders.orders.GetOrder(os_.GetOrderRequest(order_id=order.id))
    assert got.order == order
    [event] = await announced(env, "OrderSubmitted", lambda m: m.order.id == order.id)
    assert event.message.order.promotions == order.promotions
    assert event.message.order.lines == order.lines


async def test_free_goods_are_a_free_line_and_the_expectation_is_judged(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    [two_plus_one] = await upsert(
        env,
        promotion(
            c,
            name="2+1 вода",
            product_ids=[w.water.id],
            free_goods=pb.FreeGoods(
                buy_quantity="2", free_product_id=w.water.id, free_quantity="1", repeat=True
            ),
            combinability=pb.PROMOTION_COMBINABILITY_EXCLUSIVE,
        ),
    )
    unknown = new_id()
    request = submit_request(
        c,
        [ln(w.water, "5")],
        expected_promotions=[
            expected(two_plus_one, "20.00", (w.water.id, "2")),  # 5 bought → 2 free, 20.00
            expected(unknown, "3.00"),
        ],
    )
    order = await submit(env, c, request)
    paid, free = order.lines
    assert (dec(paid.gross_amount), paid.free_of_charge) == (Decimal("50.00"), False)
    assert (free.product_id, free.base_quantity, free.unit) == (w.water.id, "2", "pcs")
    assert (free.free_of_charge, free.promotion_id, dec(free.gross_amount)) == (
        True,
        two_plus_one,
        Decimal("0.00"),
    )
    assert dec(free.unit_price) == Decimal("10.00") and free.container_quantity == "0"
    assert dec(order.gross_total) == Decimal("50.00")
    judged = by_id(order)
    assert (judged[two_plus_one].match, dec(judged[two_plus_one].benefit)) == (
        pb.PROMOTION_MATCH_MATCH,
        Decimal("20.00"),
    )
    assert judged[unknown].status == pb.APPLIED_PROMOTION_STATUS_NOT_ELIGIBLE
    assert judged[unknown].match == pb.PROMOTION_MATCH_MISSING
    assert dec(judged[unknown].expected_benefit) == Decimal("3.00")
    assert [e.promotion_id for e in order.expected_promotions] == [two_plus_one, unknown]
    assert order.expected_promotions[0].free_lines[0].base_quantity == "2"
    # Another benefit than the server's is DIFFERENT (the server's price holds).
    other = await submit(
        env,
        c,
        submit_request(c, [ln(w.water, "5")], expected_promotions=[expected(two_plus_one, "10")]),
    )
    assert by_id(other)[two_plus_one].match == pb.PROMOTION_MATCH_DIFFERENT
    assert dec(other.gross_total) == Decimal("50.00")


async def test_exclusive_rivals_the_better_one_wins_and_the_other_is_told_why(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    exclusive = pb.PROMOTION_COMBINABILITY_EXCLUSIVE
    small, large = await upsert(
        env,
        promotion(
            c,
            name="−3 %",
            product_ids=[w.beer.id],
            percent_off=pb.PercentOff(percent="3"),
            combinability=exclusive,
        ),
        promotion(
            c,
            name="−10 %",
            product_ids=[w.beer.id],
            percent_off=pb.PercentOff(percent="10"),
            combinability=exclusive,
        ),
    )
    order = await submit(
        env,
        c,
        submit_request(c, [ln(w.beer, "10")], expected_promotions=[expected(small, "10.00")]),
    )
    judged = by_id(order)
    # 333.30 × 0.9 = 299.97
    assert dec(order.gross_total) == Decimal("299.97")
    assert judged[large].status == pb.APPLIED_PROMOTION_STATUS_APPLIED
    assert judged[small].status == pb.APPLIED_PROMOTION_STATUS_NOT_CHOSEN
    assert '"−10 %"' in judged[small].explanation


async def test_the_grace_day_and_what_ended(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    yesterday, before = today() - timedelta(days=1), today() - timedelta(days=2)
    last_day, long_gone = await upsert(
        env,
        promotion(
            c,
            name="вчера",
            valid_from=pb_date(yesterday),
            valid_to=pb_date(yesterday),
            product_ids=[w.chips.id],
            percent_off=pb.PercentOff(percent="10"),
        ),
        promotion(
            c,
            name="до позавчера",
            valid_from=pb_date(before - timedelta(days=5)),
            valid_to=pb_date(before),
            product_ids=[w.chips.id],
            percent_off=pb.PercentOff(percent="20"),
        ),
    )
    # Taken yesterday offline, uploaded today: the last day's promotion still applies.
    late = await submit(
        env, c, submit_request(c, [ln(w.chips, "1")], order_date=pb_date(yesterday))
    )
    assert by_id(late)[last_day].status == pb.APPLIED_PROMOTION_STATUS_APPLIED
    assert dec(late.gross_total) == Decimal("50.00")  # 55.55 × 0.9 = 49.995 → 50.00
    # Taken the day before yesterday: that promotion has ENDED (grace: 1 day).
    older = await submit(
        env,
        c,
        submit_request(
            c,
            [ln(w.chips, "1")],
            order_date=pb_date(before),
            expected_promotions=[expected(long_gone, "11.11")],
        ),
    )
    judged = by_id(older)
    assert judged[long_gone].status == pb.APPLIED_PROMOTION_STATUS_ENDED
    assert "arrived on" in judged[long_gone].explanation
    assert dec(older.gross_total) == Decimal("55.55")


async def test_bad_expectations_are_refused_by_field_and_write_nothing(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    cases = [
        (
            pb.ExpectedPromotion(promotion_id="nope", benefit=rub("1")),
            "expected_promotions[0].promotion_id",
        ),
        (expected(new_id(), "-1"), "expected_promotions[0].benefit"),
        (
            pb.ExpectedPromotion(
                promotion_id=new_id(), benefit=money_pb2.Money(currency_code="EUR", units=1)
            ),
            "expected_promotions[0].benefit.currency_code",
        ),
        (
            expected(new_id(), "1", (w.water.id, "0")),
            "expected_promotions[0].free_lines[0].base_quantity",
        ),
    ]
    for item, field in cases:
        request = submit_request(c, [ln(w.water, "1")], expected_promotions=[item])
        await expect_error(
            env.orders.orders_as(c.agent).SubmitOrder(request),
            grpc.StatusCode.INVALID_ARGUMENT,
            field,
        )
        assert await count(env, orm.orders, orm.orders.c.id == request.order_id) == 0


async def test_a_promotion_upserted_after_an_order_reaches_the_next_one(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    before = await submit(env, c, submit_request(c, [ln(w.water, "4")]))
    assert (dec(before.gross_total), len(before.promotions)) == (Decimal("40.00"), 0)
    [gift] = await upsert(
        env,
        promotion(
            c,
            name="Подарок",
            gift=pb.Gift(min_gross="30", gift_product_id=w.chips.id, gift_quantity="1"),
            product_ids=[w.water.id],
        ),
    )
    after = await submit(env, c, submit_request(c, [ln(w.water, "4")]))
    assert dec(after.gross_total) == Decimal("40.00")
    [present] = [line for line in after.lines if line.free_of_charge]
    assert (present.product_id, present.promotion_id) == (w.chips.id, gift)
    assert dec(by_id(after)[gift].benefit) == Decimal("55.55")


async def test_credit_is_checked_for_the_total_after_promotions(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    await upsert(env, promotion(c, product_ids=[w.water.id], amount_off=pb.AmountOff(amount="4")))
    order = await submit(env, c, submit_request(c, [ln(w.water, "10")]))
    assert dec(order.gross_total) == Decimal("60.00")  # 10 × (10.00 − 4.00)
    reply = await env.settlements.api.GetBalance(ss.GetBalanceRequest(client_id=c.client_id))
    assert dec(reply.balance.reserved) == Decimal("60.00")


# ------------------------------------------------------------------------------ preview
async def test_preview_prices_as_submit_would_and_writes_nothing(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    [five] = await upsert(
        env, promotion(c, product_ids=[w.beer.id], percent_off=pb.PercentOff(percent="5"))
    )
    request = os_.PreviewOrderRequest(
        client_id=c.client_id, outlet_id=c.outlet_id, lines=[ln(w.beer, "7"), ln(w.water, "3")]
    )
    orders_before = await count(env, orm.orders)
    shown = await env.orders.orders_as(c.agent).PreviewOrder(request)
    assert await count(env, orm.orders) == orders_before
    order = await submit(env, c, submit_request(c, [ln(w.beer, "7"), ln(w.water, "3")]))
    assert list(shown.lines) == list(order.lines)
    assert (shown.gross_total, shown.net_total, shown.vat_total) == (
        order.gross_total,
        order.net_total,
        order.vat_total,
    )
    assert [p.promotion_id for p in shown.promotions] == [five]
    await expect_error(
        env.orders.orders_as(agent()).PreviewOrder(request), grpc.StatusCode.NOT_FOUND, "outlet_id"
    )


# ---------------------------------------------------------------------------------- vans
async def test_a_van_sale_gives_free_goods_from_the_van(env: Env) -> None:
    w = world(env)
    van = await new_van(env)
    seller = seller_of(van)
    c = await new_customer(env, seller=seller)
    await upsert(
        env,
        promotion(
            c,
            product_ids=[w.water.id],
            free_goods=pb.FreeGoods(
                buy_quantity="3", free_product_id=w.chips.id, free_quantity="1"
            ),
            targeting=pb.PromotionTargeting(
                client_ids=[c.client_id], order_kinds=[pb.ORDER_KIND_VAN_SALE]
            ),
        ),
    )
    await load(env, van.id, q(w.water, "6"), q(w.chips, "1"))
    sale = (
        await env.orders.vans_as(seller).CompleteVanSale(sale_request(van, c, [ln(w.water, "3")]))
    ).order
    assert [(x.product_id, x.free_of_charge) for x in sale.lines] == [
        (w.water.id, False),
        (w.chips.id, True),
    ]
    stock = await env.orders.vans.GetVanStock(vs.GetVanStockRequest(van_id=van.id))
    left = {s.product_id: s.quantity for s in stock.lines}
    assert left.get(w.chips.id, "0") == "0" and left[w.water.id] == "3"
    # No chips left to give: the sale is refused, nothing taken.
    await expect_error(
        env.orders.vans_as(seller).CompleteVanSale(sale_request(van, c, [ln(w.water, "3")])),
        grpc.StatusCode.FAILED_PRECONDITION,
        "lines",
    )
    stock = await env.orders.vans.GetVanStock(vs.GetVanStockRequest(van_id=van.id))
    assert {s.product_id: s.quantity for s in stock.lines}[w.water.id] == "3"


# ------------------------------------------------------------------------------- amend
async def test_an_amendment_is_judged_again_and_the_old_revision_keeps_its_promotions(
    env: Env,
) -> None:
    w = world(env)
    c = await new_customer(env)
    [gift] = await upsert(
        env,
        promotion(
            c,
            gift=pb.Gift(min_base_quantity="5", gift_product_id=w.chips.id, gift_quantity="1"),
            product_ids=[w.water.id],
        ),
    )
    order = await submit(env, c, submit_request(c, [ln(w.water, "5")]))
    assert [a.promotion_id for a in order.promotions] == [gift]
    amended = (
        await env.orders.orders_as(c.agent).AmendOrder(
            os_.AmendOrderRequest(
                request_id=new_id(),
                order_id=order.id,
                amendment_id=new_id(),
                expected_revision=1,
                lines=[ln(w.water, "4")],
                expected_promotions=[expected(gift, "55.55")],
            )
        )
    ).order
    assert [line.free_of_charge for line in amended.lines] == [False]
    [missing] = amended.promotions
    assert (missing.status, missing.match) == (
        pb.APPLIED_PROMOTION_STATUS_NOT_CHOSEN,
        pb.PROMOTION_MATCH_MISSING,
    )
    revisions = await env.orders.orders_as(c.agent).ListOrderRevisions(
        os_.ListOrderRevisionsRequest(order_id=order.id)
    )
    first, second = revisions.revisions
    assert [a.promotion_id for a in first.promotions] == [gift]
    assert [line.free_of_charge for line in first.lines] == [False, True]
    assert second.promotions == amended.promotions
    async with env.app.sessions() as s:
        rows = (
            await s.execute(select(orm.order_lines).where(orm.order_lines.c.order_id == order.id))
        ).all()
    assert [r.free_of_charge for r in rows] == [False]
