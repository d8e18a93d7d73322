"""Promotion budgets and their ledger (issue 15, increment 11; docs/contexts/sales-gaps.md 3.7
"Budget ledger and concurrency"), over real gRPC, NATS and databases.

* An order consumes what it got (money or free units), in the same transaction; GetPromotion
  and ListPromotionBudgetEntries show it; `consumed` is always the entries' sum.
* Cancelling, rejecting (UpdateOrderStatus) and amending give back what the order (or the
  replaced revision) held; a retried cancellation gives nothing back twice.
* An order that needs more than is left does not get the promotion (BUDGET_EXHAUSTED, when
  expected): whole or nothing.
* Orders submitted at once, many more than the budget covers: exactly as many get it as the
  budget holds, never more.
* An upsert may not lower a total below what was consumed, nor change a consumed budget's kind.
* A van sale consumes too.
* A budget becoming LOW, EXHAUSTED or available again is announced (PromotionChanged, the next
  version, with what it consumed).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import grpc
from sqlalchemy import func, select

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import promotions_service_pb2 as ps
from fieldline.orders.v1 import promotions_service_pb2_grpc as ps_grpc
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_orders.adapters import orm

from .orders_harness import (
    Customer,
    Env,
    dec,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    load,
    new_customer,
    new_van,
    pb_date,
    q,
    sale_request,
    seller_of,
    submit,
    submit_request,
    today,
    world,
)

UNITS = pb.PROMOTION_BUDGET_KIND_UNITS
MONEY = pb.PROMOTION_BUDGET_KIND_MONEY


def stub(env: Env) -> ps_grpc.PromotionsServiceStub:
    return env.orders.stub(ps_grpc.PromotionsServiceStub)


async def upsert(env: Env, *records: pb.Promotion) -> list[cs.UpsertResult]:
    reply = await stub(env).UpsertPromotions(
        ps.UpsertPromotionsRequest(request_id=new_id(), promotions=list(records))
    )
    return list(reply.results)


def promotion(c: Customer, total: str, kind: int = MONEY, **kw: Any) -> pb.Promotion:
    values: dict[str, Any] = {
        "external_id": f"B-{new_id()[:8]}",
        "name": "Бюджет",
        "valid_from": pb_date(today() - timedelta(days=3)),
        "valid_to": pb_date(today() + timedelta(days=27)),
        "currency_code": "RUB",
        "targeting": pb.PromotionTargeting(client_ids=[c.client_id]),
        "combinability": pb.PROMOTION_COMBINABILITY_STACKABLE,
        "budget": pb.PromotionBudget(kind=kind, total=total),
    }
    values.update(kw)
    return pb.Promotion(**values)


async def consumed(env: Env, promotion_id: str) -> str:
    got = await stub(env).GetPromotion(ps.GetPromotionRequest(promotion_id=promotion_id))
    return got.promotion.budget.consumed


async def entries(env: Env, promotion_id: str) -> list[ps.PromotionBudgetEntry]:
    out: list[ps.PromotionBudgetEntry] = []
    token = ""
    while True:
        page = await stub(env).ListPromotionBudgetEntries(
            ps.ListPromotionBudgetEntriesRequest(
                promotion_id=promotion_id, page_size=7, page_token=token
            )
        )
        out += page.entries
        token = page.next_page_token
        if not token:
            return out


async def ledger_sum(env: Env, promotion_id: str) -> Decimal:
    t = orm.promotion_budget_entries
    async with env.app.sessions() as s:
        rows = await s.execute(select(t.c.delta).where(t.c.promotion_id == promotion_id))
        return sum((Decimal(r.delta) for r in rows), Decimal(0))


def got(order: pb.Order, promotion_id: str) -> bool:
    return any(
        a.promotion_id == promotion_id and a.status == pb.APPLIED_PROMOTION_STATUS_APPLIED
        for a in order.promotions
    )


async def test_orders_consume_and_cancellations_and_amendments_give_back(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    [made] = await upsert(
        env,
        promotion(c, "100", product_ids=[w.water.id], amount_off=pb.AmountOff(amount="2")),
    )
    pid = made.id
    assert await consumed(env, pid) == "0"
    first = await submit(env, c, submit_request(c, [ln(w.water, "10")]))  # 10 × 2 = 20 off
    [applied] = first.promotions
    assert (applied.budget_consumed, dec(first.gross_total)) == ("20", Decimal("80.00"))
    second = await submit(env, c, submit_request(c, [ln(w.water, "5")]))  # 10 off
    assert await consumed(env, pid) == "30"
    # Amending the first to 20 bottles: its 20 given back, 40 taken.
    amended = (
        await env.orders.orders_as(c.agent).AmendOrder(
            os_.AmendOrderRequest(
                request_id=new_id(),
                order_id=first.id,
                amendment_id=new_id(),
                expected_revision=1,
                lines=[ln(w.water, "20")],
            )
        )
    ).order
    assert amended.promotions[0].budget_consumed == "40"
    assert await consumed(env, pid) == "50"
    # Cancelling the second (and again: a retry) gives its 10 back once.
    cancel = os_.CancelOrderRequest(
        request_id=new_id(), order_id=second.id, expected_revision=1, reason="клиент передумал"
    )
    await env.orders.orders_as(c.agent).CancelOrder(cancel)
    cancel.request_id = new_id()
    await env.orders.orders_as(c.agent).CancelOrder(cancel)
    assert await consumed(env, pid) == "40"
    # The ERP rejecting the first gives its 40 back.
    await env.orders.orders.UpdateOrderStatus(
        os_.UpdateOrderStatusRequest(
            request_id=new_id(), order_id=first.id, status=pb.ORDER_STATUS_REJECTED, reason="нет"
        )
    )
    assert await consumed(env, pid) == "0"
    listed = await entries(env, pid)
    assert [(e.order_id, e.revision, e.kind, e.delta) for e in listed] == [
        (first.id, 1, ps.BUDGET_ENTRY_KIND_CONSUMED, "20"),
        (second.id, 1, ps.BUDGET_ENTRY_KIND_CONSUMED, "10"),
        (first.id, 1, ps.BUDGET_ENTRY_KIND_RELEASED, "-20"),
        (first.id, 2, ps.BUDGET_ENTRY_KIND_CONSUMED, "40"),
        (second.id, 1, ps.BUDGET_ENTRY_KIND_RELEASED, "-10"),
        (first.id, 2, ps.BUDGET_ENTRY_KIND_RELEASED, "-40"),
    ]
    assert await ledger_sum(env, pid) == 0
    assert all(e.HasField("create_time") for e in listed)


async def test_an_order_needing_more_than_is_left_does_not_get_it(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    [made] = await upsert(
        env,
        promotion(c, "15", product_ids=[w.water.id], amount_off=pb.AmountOff(amount="1")),
    )
    pid = made.id
    ten = await submit(env, c, submit_request(c, [ln(w.water, "10")]))
    assert got(ten, pid) and await consumed(env, pid) == "10"
    # 10 more would take 10 of the 5 left: not given at all (never partly), told why.
    expected = pb.ExpectedPromotion(promotion_id=pid, benefit=ten.promotions[0].benefit)
    more = await submit(
        env, c, submit_request(c, [ln(w.water, "10")], expected_promotions=[expected])
    )
    [judged] = more.promotions
    assert (judged.status, judged.match) == (
        pb.APPLIED_PROMOTION_STATUS_BUDGET_EXHAUSTED,
        pb.PROMOTION_MATCH_MISSING,
    )
    assert "5 left, this order needs 10" in judged.explanation
    assert dec(more.gross_total) == Decimal("100.00")
    five = await submit(env, c, submit_request(c, [ln(w.water, "5")]))
    assert got(five, pid) and await consumed(env, pid) == "15"


async def test_concurrent_orders_never_overspend(env: Env) -> None:
    """A 1+1 with 6 free units; 30 orders of 1 bottle at once: exactly 6 get a free bottle."""
    w = world(env)
    c = await new_customer(env)
    [made] = await upsert(
        env,
        promotion(
            c,
            "6",
            UNITS,
            product_ids=[w.water.id],
            free_goods=pb.FreeGoods(
                buy_quantity="1", free_product_id=w.water.id, free_quantity="1"
            ),
        ),
    )
    pid = made.id
    requests = [submit_request(c, [ln(w.water, "1")]) for _ in range(30)]
    orders = await asyncio.gather(*(submit(env, c, r) for r in requests))
    lucky = [o for o in orders if got(o, pid)]
    assert len(lucky) == 6
    assert all(any(x.free_of_charge for x in o.lines) for o in lucky)
    assert not any(any(x.free_of_charge for x in o.lines) for o in orders if o not in lucky)
    assert await consumed(env, pid) == "6" and await ledger_sum(env, pid) == 6
    # Cancelling two frees two units for the next orders.
    for o in lucky[:2]:
        await env.orders.orders_as(c.agent).CancelOrder(
            os_.CancelOrderRequest(
                request_id=new_id(), order_id=o.id, expected_revision=1, reason="отмена"
            )
        )
    again = await asyncio.gather(
        *(submit(env, c, submit_request(c, [ln(w.water, "1")])) for _ in range(5))
    )
    assert sum(got(o, pid) for o in again) == 2
    assert await consumed(env, pid) == "6" and await ledger_sum(env, pid) == 6
    async with env.app.sessions() as s:
        t = orm.promotion_budget_entries
        holders = (
            await s.execute(select(func.count()).select_from(t).where(t.c.promotion_id == pid))
        ).scalar_one()
    assert holders == 6 + 2 + 2  # 8 consumed, 2 released


async def test_an_upsert_cannot_go_below_what_was_consumed(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    record = promotion(c, "50", product_ids=[w.water.id], amount_off=pb.AmountOff(amount="3"))
    [made] = await upsert(env, record)
    await submit(env, c, submit_request(c, [ln(w.water, "10")]))  # 30 consumed
    record.budget.total = "29.99"
    [refused] = await upsert(env, record)
    assert refused.outcome == cs.UPSERT_OUTCOME_REJECTED
    assert refused.error == (
        "promotions[0].budget.total: 29.99 is below the 30 orders consumed already"
    )
    record.budget.total = "30"
    [kept] = await upsert(env, record)
    assert kept.outcome == cs.UPSERT_OUTCOME_UPDATED
    got_back = await stub(env).GetPromotion(ps.GetPromotionRequest(promotion_id=made.id))
    assert (got_back.promotion.budget.total, got_back.promotion.budget.consumed) == ("30", "30")
    await expect_error(
        stub(env).ListPromotionBudgetEntries(
            ps.ListPromotionBudgetEntriesRequest(promotion_id=new_id())
        ),
        grpc.StatusCode.NOT_FOUND,
        "promotion_id",
    )


async def test_a_van_sale_consumes(env: Env) -> None:
    w = world(env)
    van = await new_van(env)
    seller = seller_of(van)
    c = await new_customer(env, seller=seller)
    [made] = await upsert(
        env,
        promotion(
            c,
            "1",
            UNITS,
            product_ids=[w.water.id],
            free_goods=pb.FreeGoods(
                buy_quantity="2", free_product_id=w.water.id, free_quantity="1"
            ),
        ),
    )
    await load(env, van.id, q(w.water, "10"))
    sale = (
        await env.orders.vans_as(seller).CompleteVanSale(sale_request(van, c, [ln(w.water, "2")]))
    ).order
    assert got(sale, made.id) and await consumed(env, made.id) == "1"
    # None left: the next sale is priced without it.
    next_sale = (
        await env.orders.vans_as(seller).CompleteVanSale(sale_request(van, c, [ln(w.water, "2")]))
    ).order
    assert not got(next_sale, made.id) and len(next_sale.lines) == 1


async def test_a_budget_running_low_out_and_back_is_announced(env: Env) -> None:
    """PromotionChanged at the next version when the budget becomes LOW (≤ 10 % left),
    EXHAUSTED, and available again, with what it consumed; not for every order."""
    w = world(env)
    c = await new_customer(env)
    [made] = await upsert(
        env,
        promotion(c, "100", product_ids=[w.water.id], amount_off=pb.AmountOff(amount="1")),
    )
    pid = made.id
    await submit(env, c, submit_request(c, [ln(w.water, "50")]))  # 50 left: no news
    low = await submit(env, c, submit_request(c, [ln(w.water, "41")]))  # 9 left: LOW
    out = await submit(env, c, submit_request(c, [ln(w.water, "9")]))  # 0 left: EXHAUSTED
    await env.orders.orders_as(c.agent).CancelOrder(
        os_.CancelOrderRequest(
            request_id=new_id(), order_id=low.id, expected_revision=1, reason="отмена"
        )
    )  # 41 left: available again
    assert got(out, pid)
    changes = await published(env.js, "ORDERS", about(pid), expect=4, settle=0.3)
    shown = [(e.message.promotion.version, e.message.promotion.budget.consumed) for e in changes]
    assert shown == [(1, "0"), (2, "91"), (3, "100"), (4, "59")]
    current = await stub(env).GetPromotion(ps.GetPromotionRequest(promotion_id=pid))
    assert (current.promotion.version, current.promotion.budget.consumed) == (4, "59")
