"""Concurrent SubmitOrder calls are batched: shared transactions, per-call outcomes.

Calls sent together reach the service together and are processed as one batch (one read
transaction, one CheckCreditBatch, one write transaction); these tests check that batching
happened (the batch-size histogram) and that every call still gets exactly what it would
have got alone.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import grpc
from prometheus_client import REGISTRY
from sqlalchemy import select

from fieldline.common.v1 import event_envelope_pb2
from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.helpers import new_id
from fieldline_orders.adapters import orm
from fieldline_orders.adapters.schema import kit

from .orders_harness import (
    Env,
    agent_of,
    count,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    new_customer,
    pb_date,
    rub,
    submit_request,
    today,
    world,
)


def batches() -> tuple[float, float]:
    """(batches run, calls in them) by the SubmitOrder batcher so far."""
    labels = {"batcher": "orders.submit"}
    n = REGISTRY.get_sample_value("fieldline_batch_size_count", labels) or 0.0
    total = REGISTRY.get_sample_value("fieldline_batch_size_sum", labels) or 0.0
    return n, total


async def submit_all(
    env: Env, requests: list[os_.SubmitOrderRequest]
) -> list[os_.SubmitOrderResponse | BaseException]:
    """Each request as its customer's agent, all at once."""
    return await asyncio.gather(
        *(env.orders.orders_as(agent_of(r)).SubmitOrder(r) for r in requests),
        return_exceptions=True,
    )


async def test_many_orders_at_once_are_batched_and_each_is_written_and_published(
    env: Env,
) -> None:
    w = world(env)
    customers = [await new_customer(env) for _ in range(4)]
    requests = [
        submit_request(customers[i % 4], [ln(w.beer, str(i + 1)), ln(w.water, "1", "box")])
        for i in range(12)
    ]
    runs_before, calls_before = batches()
    replies = await submit_all(env, requests)
    runs, calls = batches()
    assert calls - calls_before == 12
    assert runs - runs_before < 12, "the concurrent calls were not batched"
    for request, reply in zip(requests, replies, strict=True):
        assert isinstance(reply, os_.SubmitOrderResponse), reply
        order = reply.order
        assert order.id == request.order_id
        assert order.client_id == request.client_id
        assert order.status == pb.ORDER_STATUS_SUBMITTED
        assert [line.product_id for line in order.lines] == [w.beer.id, w.water.id]
        assert await count(env, orm.order_lines, orm.order_lines.c.order_id == order.id) == 2
    events = await published(env.js, "ORDERS", about(requests[5].order_id), expect=1)
    assert [e.name for e in events] == ["OrderSubmitted"]
    # Retries are answered from the stored responses, also in a batch.
    again = await submit_all(env, requests)
    assert [r.order for r in again] == [r.order for r in replies]  # type: ignore[union-attr]
    assert await count(env, orm.orders, orm.orders.c.client_id == customers[0].client_id) == 3


async def test_orders_of_one_client_in_one_batch_see_each_others_reservations(
    env: Env,
) -> None:
    """Room under the credit limit for one order: of three sent together, one passes."""
    w = world(env)
    c = await new_customer(env)
    await env.settlements.api.SetDebtPolicy(
        ss.SetDebtPolicyRequest(
            request_id=new_id(),
            policy=spb.DebtPolicy(
                client_id=c.client_id,
                mode=spb.DEBT_POLICY_MODE_BLOCK,
                check_credit_limit=True,
                max_overdue_days=-1,
                stages=[spb.STAGE_ORDER_SUBMIT],
                override_roles=["SUPERVISOR"],
            ),
        )
    )
    await env.settlements.api.SetCreditLimit(
        ss.SetCreditLimitRequest(request_id=new_id(), client_id=c.client_id, limit=rub("150.00"))
    )
    # 3 bottles at 33.33 (VAT included) = 99.99 each: one fits under 150, a second does not.
    requests = [submit_request(c, [ln(w.beer, "3")]) for _ in range(3)]
    replies = await submit_all(env, requests)
    statuses = sorted(r.order.status for r in replies)  # type: ignore[union-attr]
    assert statuses == sorted(
        [pb.ORDER_STATUS_SUBMITTED, pb.ORDER_STATUS_CREDIT_HOLD, pb.ORDER_STATUS_CREDIT_HOLD]
    )


async def test_a_bad_order_fails_alone_and_writes_nothing(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    good = [submit_request(c, [ln(w.water, "1")]) for _ in range(3)]
    unknown_product = submit_request(c, [ln(w.water, "1")])
    unknown_product.lines[0].product_id = new_id()
    unknown_outlet = submit_request(c, [ln(w.water, "1")])
    unknown_outlet.outlet_id = new_id()
    replies = await submit_all(env, [good[0], unknown_product, good[1], unknown_outlet, good[2]])
    for reply in (replies[0], replies[2], replies[4]):
        assert isinstance(reply, os_.SubmitOrderResponse), reply
        assert reply.order.status == pb.ORDER_STATUS_SUBMITTED
    for bad, code, needle in (
        (replies[1], grpc.StatusCode.NOT_FOUND, "lines[0].product_id"),
        (replies[3], grpc.StatusCode.PERMISSION_DENIED, "outlet_id"),  # not on its routes
    ):
        assert isinstance(bad, grpc.aio.AioRpcError)
        assert bad.code() == code
        assert needle in (bad.details() or "")
    for request in (unknown_product, unknown_outlet):
        assert await count(env, orm.orders, orm.orders.c.id == request.order_id) == 0
        assert await count(env, kit.outbox, kit.outbox.c.aggregate_id == request.order_id) == 0


async def test_the_same_order_twice_in_a_batch_is_one_order(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    request = submit_request(c, [ln(w.water, "2")])
    other_request_id = os_.SubmitOrderRequest()
    other_request_id.CopyFrom(request)  # type: ignore[arg-type]
    other_request_id.request_id = new_id()
    others = [submit_request(c, [ln(w.water, "1")]) for _ in range(2)]
    replies = await submit_all(env, [request, others[0], request, other_request_id, others[1]])
    assert all(isinstance(r, os_.SubmitOrderResponse) for r in replies), replies
    assert replies[0].order == replies[2].order == replies[3].order  # type: ignore[union-attr]
    assert await count(env, orm.orders, orm.orders.c.id == request.order_id) == 1
    events = await published(env.js, "ORDERS", about(request.order_id), expect=1, settle=1.0)
    assert [e.name for e in events] == ["OrderSubmitted"]


async def test_a_request_id_reused_for_another_order_in_a_batch_is_refused(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    first = submit_request(c, [ln(w.water, "1")])
    await env.orders.orders_as(c.agent).SubmitOrder(first)
    reused = submit_request(c, [ln(w.water, "5")])
    reused.request_id = first.request_id
    fine = submit_request(c, [ln(w.water, "1")])
    replies = await submit_all(env, [reused, fine])
    assert isinstance(replies[0], grpc.aio.AioRpcError)
    assert replies[0].code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request_id" in (replies[0].details() or "")
    assert isinstance(replies[1], os_.SubmitOrderResponse)
    assert await count(env, orm.orders, orm.orders.c.id == reused.order_id) == 0


async def test_each_event_carries_the_correlation_id_of_its_own_call(env: Env) -> None:
    w = world(env)
    c = await new_customer(env)
    requests = [submit_request(c, [ln(w.water, "1")]) for _ in range(4)]
    correlation = {r.order_id: f"device-call-{i}" for i, r in enumerate(requests)}
    await asyncio.gather(
        *(
            env.orders.orders_as(c.agent).SubmitOrder(
                r, metadata=(("x-correlation-id", correlation[r.order_id]),)
            )
            for r in requests
        )
    )
    async with env.app.sessions() as s:
        rows = (
            await s.execute(
                select(kit.outbox.c.aggregate_id, kit.outbox.c.payload).where(
                    kit.outbox.c.aggregate_id.in_(list(correlation))
                )
            )
        ).all()
    seen = {
        r.aggregate_id: event_envelope_pb2.EventEnvelope.FromString(r.payload).correlation_id
        for r in rows
    }
    assert seen == correlation


async def test_a_retry_after_midnight_gets_its_order_not_a_date_error(env: Env) -> None:
    """The order exists: it is returned before the request's dates are judged against a new
    business day (delivery "today" would now be before the defaulted order date)."""
    w = world(env)
    c = await new_customer(env)
    request = submit_request(c, [ln(w.water, "1")], delivery_date=pb_date(today()))
    first = (await env.orders.orders_as(c.agent).SubmitOrder(request)).order
    retry = os_.SubmitOrderRequest()
    retry.CopyFrom(request)  # type: ignore[arg-type]
    retry.request_id = new_id()
    real_clock = env.app.clock
    env.app.clock = lambda: real_clock() + timedelta(days=1)
    try:
        others = [submit_request(c, [ln(w.water, "1")]) for _ in range(2)]
        replies = await submit_all(env, [others[0], retry, others[1]])
    finally:
        env.app.clock = real_clock
    assert isinstance(replies[1], os_.SubmitOrderResponse), replies[1]
    assert replies[1].order == first
