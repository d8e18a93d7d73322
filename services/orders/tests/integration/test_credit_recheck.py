"""Orders held because settlements was down are judged again once it serves: a real settlements
stopped and started again on its port, orders' background re-check, the events published.

The unit tests (tests/unit/test_credit_recheck.py) hold the rules; here: the held orders are
found in the database (SQLite and PostgreSQL), settlements judges them, they are written with
their events through the outbox, and the job lease works between replicas.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from fieldline.orders.v1 import orders_service_pb2 as os_
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.events import about, published
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_orders.adapters import orm
from fieldline_orders.domain.orders import RECHECK_ACTOR, RECHECK_REASON
from fieldline_orders.entrypoints.credit_recheck import credit_recheck
from fieldline_orders.service_layer.recheck import JOB

from .feed_harness import create_app
from .orders_harness import (
    Env,
    Orders,
    SettlementsOnOnePort,
    ln,
    make_world,
    new_customer,
    overdue_debt,
    set_policy,
    start_orders,
    submit_request,
    world,
)

S = pb
WITHIN = 5.0  # seconds from settlements serving again to every held order judged


async def _order(env: Env, order_id: str) -> pb.Order:
    return (await env.orders.orders.GetOrder(os_.GetOrderRequest(order_id=order_id))).order


async def test_orders_held_while_settlements_was_down_are_judged_when_it_is_back(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    loop = asyncio.get_running_loop()
    settlements = SettlementsOnOnePort(db_factory, nats_server.url)
    async with start_orders(
        db_factory,
        nats_server.url,
        settlements.target,
        credit_check_timeout_seconds=1.0,
        credit_recheck_seconds=0.2,
        credit_recheck_batch=2,  # four held orders: batches of two
    ) as orders:
        async with settlements.up() as first:
            env = Env(orders, first, orders.js)
            env.world = await make_world(env)
            w = world(env)
            good = await new_customer(env)
            indebted = await new_customer(env)
            await set_policy(env, indebted.client_id, spb.DEBT_POLICY_MODE_BLOCK)
            await overdue_debt(env, indebted.client_id)
            # Held by the debt policy before the outage: the re-check never touches it.
            by_policy = (
                await orders.orders_as(indebted.agent).SubmitOrder(
                    submit_request(indebted, [ln(w.water, "1")])
                )
            ).order
            assert by_policy.status == S.ORDER_STATUS_CREDIT_HOLD and not by_policy.credit.fallback

        # Settlements is down: every order is held "settlements unavailable".
        first_call = submit_request(good, [ln(w.water, "2")])
        held = [(await orders.orders_as(good.agent).SubmitOrder(first_call)).order]
        for c, quantity in ((good, "3"), (good, "4"), (indebted, "5")):
            request = submit_request(c, [ln(w.water, quantity)])
            held.append((await orders.orders_as(c.agent).SubmitOrder(request)).order)
        for order in held:
            assert order.status == S.ORDER_STATUS_CREDIT_HOLD and order.credit.fallback
            assert list(order.credit.reasons) == ["settlements unavailable"]
        await asyncio.sleep(1.0)  # passes while settlements is down change nothing
        assert [(await _order(env, o.id)) for o in held] == held

        async with settlements.up():
            serving = loop.time()
            now = await _all_judged(env, [o.id for o in held])
            judged_after = loop.time() - serving
            *released, still_held = now
            for order in released:
                assert order.status == S.ORDER_STATUS_SUBMITTED
                assert order.credit.outcome == S.CREDIT_OUTCOME_ALLOW
                assert not order.credit.fallback and order.version == 2
            assert still_held.status == S.ORDER_STATUS_CREDIT_HOLD
            assert still_held.credit.outcome == S.CREDIT_OUTCOME_BLOCK
            assert not still_held.credit.fallback
            assert any("overdue" in r.lower() for r in still_held.credit.reasons)

            # Each change published once, through the outbox, as any change of an order is.
            for order, second in zip(held, ["OrderSubmitted"] * 3 + ["OrderHeld"], strict=True):
                events = await published(orders.js, "ORDERS", about(order.id), expect=2)
                assert [e.name for e in events] == ["OrderHeld", second]
                assert not events[1].message.order.credit.fallback  # type: ignore[attr-defined]
            assert [
                e.name for e in await published(orders.js, "ORDERS", about(by_policy.id), expect=1)
            ] == ["OrderHeld"]
            assert await _rechecks(orders, [o.id for o in held]) == 4
            assert (await _order(env, by_policy.id)).version == 1

            # The device retrying its first call gets that call's stored answer (the hold);
            # the order itself, as GetOrder and the events show it, is released.
            retried = (await orders.orders_as(good.agent).SubmitOrder(first_call)).order
            assert retried == held[0]
            assert (await _order(env, held[0].id)).status == S.ORDER_STATUS_SUBMITTED
    print(f"held orders judged {judged_after:.2f} s after settlements served again")
    assert judged_after < WITHIN


async def _all_judged(env: Env, order_ids: list[str]) -> list[pb.Order]:
    """The orders once none is held for unavailability any more (at most a minute)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while True:
        now = [await _order(env, oid) for oid in order_ids]
        if not any(o.credit.fallback for o in now) or loop.time() > deadline:
            return now
        await asyncio.sleep(0.05)


async def _rechecks(orders: Orders, order_ids: list[str]) -> int:
    """Status history rows the re-check wrote for these orders."""
    h = orm.order_status_history
    async with orders.app.sessions() as s:
        rows = (
            await s.execute(
                select(h.c.order_id).where(
                    h.c.order_id.in_(order_ids),
                    h.c.reason == RECHECK_REASON,
                    h.c.reported_by == RECHECK_ACTOR,
                )
            )
        ).all()
    return len(rows)


async def test_one_replica_at_a_time_holds_the_re_check(
    db_factory: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    settlements = SettlementsOnOnePort(db_factory, nats_server.url)
    async with start_orders(
        db_factory, nats_server.url, settlements.target, credit_recheck_seconds=0
    ) as orders:
        app = orders.app
        now = app.clock()
        until = now + timedelta(seconds=30)

        async def take(holder: str, at: object = now) -> bool:
            async with app.uow() as uow:
                mine = await uow.leases.take(JOB, holder, now=at, until=until)  # type: ignore[arg-type]
                await uow.commit()
            return mine

        # Two replicas taking a job never run before: exactly one gets it.
        assert sorted(await asyncio.gather(take("a"), take("b"))) == [False, True]
        winner, loser = ("a", "b") if await take("a") else ("b", "a")
        assert await take(winner)  # renewed by its holder
        assert not await take(loser)
        assert await take(loser, at=until)  # … until its lease runs out
        assert not await take(winner)
        async with app.uow() as uow:
            await uow.leases.release(JOB, loser, now=now)
            await uow.commit()
        assert await take(winner)  # freed: taken at once

        # The service's own replica takes it when it is free.
        async with app.uow() as uow:
            await uow.leases.release(JOB, winner, now=now)
            await uow.commit()
        assert await app.recheck.take_turn()
        t = orm.job_leases
        async with app.sessions() as s:
            row = (await s.execute(select(t).where(t.c.name == JOB))).one()
        assert row.holder == app.recheck.holder


async def test_without_a_service_identity_the_re_check_does_not_run(
    db_factory: DatabaseFactory,
) -> None:
    """No ORDERS_SERVICE_SIGNING_KEY (auth off): orders cannot ask settlements as itself, so
    the re-check is not started (and says so in the log)."""
    app = await create_app(await db_factory.create(), "nats://127.0.0.1:9")
    try:
        assert app.service_token is None
        assert credit_recheck(app, None) == ()  # type: ignore[arg-type]
    finally:
        await app.close()
