"""New orders counted as they commit, by kind and credit decision, and only then
(adapters/metrics.py); a van sale's cash counted by settlements once its consumer booked it."""

from __future__ import annotations

import grpc
from prometheus_client import REGISTRY

from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline_kit.testing.helpers import eventually, expect_error, new_id

from .orders_harness import (
    Env,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    load,
    new_customer,
    new_van,
    overdue_debt,
    q,
    sale_request,
    seller_of,
    set_policy,
    submit,
    submit_request,
    world,
)

KINDS = ("pre_sale", "van_sale")
OUTCOMES = ("allow", "warn", "overridden", "block")


def submitted() -> dict[tuple[str, str, str], float]:
    """`fieldline_orders_submitted_total` by (kind, credit_outcome, fallback), as now."""
    out = {}
    for kind in KINDS:
        for outcome in OUTCOMES:
            for fallback in ("false", "true"):
                value = REGISTRY.get_sample_value(
                    "fieldline_orders_submitted_total",
                    {"kind": kind, "credit_outcome": outcome, "fallback": fallback},
                )
                out[(kind, outcome, fallback)] = value or 0.0
    return out


def cash_payments() -> float:
    value = REGISTRY.get_sample_value("fieldline_settlements_payments_total", {"kind": "cash"})
    return value or 0.0


def counted_since(before: dict[tuple[str, str, str], float]) -> dict[tuple[str, str, str], float]:
    return {k: v - before[k] for k, v in submitted().items() if v != before[k]}


async def test_new_orders_count_once_with_their_credit_decision(env: Env) -> None:
    w = world(env)
    ok = await new_customer(env)
    indebted = await new_customer(env)
    await set_policy(env, indebted.client_id, spb.DEBT_POLICY_MODE_BLOCK)
    await overdue_debt(env, indebted.client_id)
    before = submitted()

    request = submit_request(ok, [ln(w.beer, "3")])
    order = await submit(env, ok, request)
    assert order.status == pb.ORDER_STATUS_SUBMITTED
    await submit(env, ok, request)  # a retry: the stored answer, nothing written
    request.request_id = new_id()
    await submit(env, ok, request)  # the order again under a new request_id: the same order

    held = submit_request(indebted, [ln(w.water, "2")])
    order = await submit(env, indebted, held)
    assert order.status == pb.ORDER_STATUS_CREDIT_HOLD
    held.request_id = new_id()
    assert (await submit(env, indebted, held)).version > order.version  # re-checked, not new

    refused = submit_request(ok, [ln(w.beer, "-1")])  # refused: nothing written
    await expect_error(
        env.orders.orders_as(ok.agent).SubmitOrder(refused), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert counted_since(before) == {
        ("pre_sale", "allow", "false"): 1,
        ("pre_sale", "block", "false"): 1,
    }


async def test_a_van_sale_counts_once_and_its_cash_once_in_settlements(env: Env) -> None:
    w = world(env)
    van = await new_van(env)
    seller = seller_of(van)
    c = await new_customer(env, seller=seller)
    await load(env, van.id, q(w.water, "10"))
    before, cash_before = submitted(), cash_payments()
    sale = sale_request(van, c, [ln(w.water, "3")], cash="30.00")
    vans = env.orders.vans_as(seller)
    await vans.CompleteVanSale(sale)
    sale.request_id = new_id()
    await vans.CompleteVanSale(sale)  # the same sale again (a device retry): one sale

    assert counted_since(before) == {("van_sale", "allow", "false"): 1}

    async def booked() -> bool:
        return cash_payments() - cash_before >= 1

    await eventually(booked, within=15)  # the settlements-orders consumer booked its cash
    assert cash_payments() - cash_before == 1
