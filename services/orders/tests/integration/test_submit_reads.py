"""The read step of a SubmitOrder batch: one statement once the catalog is cached, and every
call judged exactly as plain reads of the same data judge it (`alone`: the order, the outlet's
client and the price book read one by one, as a use case without the probe would).

The reader runs on an engine of its own over the service's database (the service's relays and
consumers use theirs), so the statements counted are the read step's alone.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from fieldline.orders.v1 import catalog_service_pb2 as cs
from fieldline.orders.v1 import resources_pb2 as pb
from fieldline_kit.db import create_engine, is_sqlite, read_only, read_session_factory
from fieldline_kit.errors import DomainError
from fieldline_kit.idempotency import IdempotentCall
from fieldline_kit.testing.helpers import new_id
from fieldline_kit.testing.sqlite_trace import trace_sqlite, transaction_statements
from fieldline_orders.adapters.catalog_cache import CatalogCache
from fieldline_orders.adapters.proto_mapping import submit_response
from fieldline_orders.adapters.submit_reads import SubmitReader
from fieldline_orders.domain.access import Actor, denied
from fieldline_orders.domain.orders import CreditRequest, Stage
from fieldline_orders.domain.pricing import LineInput, ManualDiscountLimits
from fieldline_orders.domain.values import require_id
from fieldline_orders.service_layer.orders import check_owner
from fieldline_orders.service_layer.scope import check_outlet_scope
from fieldline_orders.service_layer.submit import (
    Plan,
    SubmitCall,
    SubmitCommand,
    SubmitOrders,
    _header,
    _product_ids,
)

from .orders_harness import (
    Customer,
    Env,
    env_fixture,  # noqa: F401 - provides the `env` fixture
    ln,
    new_customer,
    pb_date,
    prices_from,
    rub,
    submit_request,
    today,
    world,
)

LIMITS = ManualDiscountLimits.parse("AGENT=5")


@contextlib.asynccontextmanager
async def reader_of(env: Env, **kw: Any) -> AsyncIterator[tuple[SubmitReader, Counter[str]]]:
    """A SubmitReader with its own engine and an empty cache; counts what its engine does
    (SQLite: `transactions` counts the BEGIN/COMMIT/ROLLBACK that sqlite3 itself ran)."""
    engine = create_engine(env.orders.database_url)
    seen: Counter[str] = Counter()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _statement(*_: Any) -> None:
        seen["statements"] += 1

    if is_sqlite(engine):
        ran = trace_sqlite(engine)

        @event.listens_for(engine.sync_engine, "checkin")
        def _checkin(*_: Any) -> None:
            seen["transactions"] += len(transaction_statements(ran))
            ran.clear()

    try:
        yield (
            SubmitReader(read_only(engine), read_session_factory(engine), CatalogCache(), **kw),
            seen,
        )
    finally:
        await engine.dispose()


def command(c: Customer, lines: Sequence[tuple[str, str]], **kw: Any) -> SubmitCommand:
    fields: dict[str, Any] = {
        "order_id": new_id(),
        "client_id": c.client_id,
        "outlet_id": c.outlet_id,
        "distributor_id": "",
        "warehouse_id": "",
        "order_date": today(),
        "delivery_date": None,
        "lines": [LineInput(pid, "pcs", q) for pid, q in lines],
        "comment": "",
        "override_reason": "",
        "actor": Actor.of(c.agent.subject, c.agent.roles),
    }
    fields.update(kw)
    return SubmitCommand(**fields)


def submit_orders(env: Env, reader: SubmitReader) -> SubmitOrders:
    return SubmitOrders(
        reader=reader,
        credit=env.app.credit,
        uow=env.app.uow,
        clock=env.app.clock,
        today=today,
        limits=LIMITS,
        dates=env.app.dates,
        respond=submit_response,
    )


async def batch(
    env: Env, reader: SubmitReader, cmds: Sequence[SubmitCommand], keys: Sequence[str] = ()
) -> list[Plan | bytes | DomainError]:
    """Step 1 of SubmitOrders for these commands (keys: their idempotency keys)."""
    calls = [
        SubmitCall(cmd, IdempotentCall(key, "digest" if key else ""))
        for cmd, key in zip(cmds, list(keys) or [""] * len(cmds), strict=True)
    ]
    return await submit_orders(env, reader).judge(calls)


async def alone(env: Env, cmd: SubmitCommand) -> Plan | DomainError:
    """The command judged by plain reads, one at a time: the reference for the probe."""
    async with env.app.read_uow() as uow:
        try:
            order_id = require_id("order_id", cmd.order_id)
            existing = await uow.orders.find(order_id)
            if existing is not None:
                if not cmd.actor.sees_order(existing.agent_id):
                    raise denied("order_id", f"order {order_id}")
                return Plan(order_id, existing)
            header = _header(cmd, order_id, today(), env.app.dates, {})
            await check_outlet_scope(uow, cmd.actor, header.outlet_id, write=True)
            check_owner(
                await uow.feed_reads.outlet_client(header.outlet_id),
                header.client_id,
                header.outlet_id,
                client_known=bool(await uow.feed_reads.known_clients([header.client_id])),
            )
            book = await uow.catalog.price_book(
                header.client_id, header.order_date, _product_ids(cmd.lines)
            )
            priced = book.price_lines(cmd.lines, roles=cmd.actor.role_names, limits=LIMITS)
        except DomainError as exc:
            return exc
    gross = sum((p.amounts.gross for p in priced), Decimal(0))
    credit = CreditRequest(
        order_id=order_id,
        client_id=header.client_id,
        amount=gross,
        currency_code=book.currency,
        stage=Stage.ORDER_SUBMIT,
        actor_id=cmd.actor.id,
        override_reason=cmd.override_reason,
        as_of=today(),
        actor_token=cmd.user_token,
    )
    return Plan(order_id, None, header, priced, book.currency, credit)


def same(got: object, expected: object) -> None:
    if isinstance(expected, DomainError):
        assert type(got) is type(expected) and str(got) == str(expected), (got, expected)
        return
    assert isinstance(got, Plan) and isinstance(expected, Plan), got
    assert got.header == expected.header
    assert got.priced == expected.priced
    assert got.currency == expected.currency
    assert (got.existing is None) == (expected.existing is None)
    if expected.existing is None:
        assert got.credit == expected.credit


async def client_terms(env: Env, c: Customer) -> None:
    """A client price (valid from today) and a client discount (valid until yesterday) of
    their own, and a company-wide group discount."""
    w = world(env)
    t = uuid.uuid4().hex[:8]
    await env.orders.catalog.UpsertClientPrices(
        cs.UpsertClientPricesRequest(
            request_id=new_id(),
            prices=[
                pb.ClientPrice(
                    client_id=c.client_id,
                    product_id=w.water.id,
                    price=rub("9.10"),
                    valid_from=pb_date(today()),
                )
            ],
        )
    )
    await env.orders.catalog.UpsertDiscounts(
        cs.UpsertDiscountsRequest(
            request_id=new_id(),
            discounts=[
                pb.Discount(
                    external_id=f"SR-{t}-1",
                    scope=pb.DISCOUNT_SCOPE_PRODUCT,
                    product_id=w.beer.id,
                    client_id=c.client_id,
                    percent="7.125",
                    valid_from=pb_date(date(2024, 1, 1)),
                    valid_to=pb_date(today() - timedelta(days=1)),
                ),
                pb.Discount(
                    external_id=f"SR-{t}-2",
                    scope=pb.DISCOUNT_SCOPE_PRODUCT,
                    product_id=w.beer.id,
                    client_id=c.client_id,
                    volume_breaks=[pb.VolumeBreak(min_quantity="6", percent="4.5")],
                    valid_from=pb_date(today()),
                ),
            ],
        )
    )


async def test_a_batch_reads_in_one_statement_without_a_transaction_once_cached(
    env: Env,
) -> None:
    w = world(env)
    customers = [await new_customer(env) for _ in range(3)]
    await client_terms(env, customers[0])

    def orders() -> list[SubmitCommand]:
        return [
            command(c, [(w.beer.id, "6"), (w.water.id, "2"), (w.chips.id, "1")]) for c in customers
        ] + [command(customers[0], [(w.water.id, "1")], order_date=today() - timedelta(days=1))]

    async with reader_of(env) as (reader, seen):
        first = orders()
        cold = await batch(env, reader, first)  # an empty cache: read in a transaction, cached
        for cmd, got in zip(first, cold, strict=True):
            same(got, await alone(env, cmd))
        second = orders()
        seen.clear()
        warm = await batch(env, reader, second)
        assert seen["statements"] == 1, seen
        if is_sqlite(reader._engine):
            assert seen["transactions"] == 0, seen  # no BEGIN, no COMMIT/ROLLBACK
        for cmd, got in zip(second, warm, strict=True):
            same(got, await alone(env, cmd))
    # The client's own terms were applied (prices on their dates, the discount of today).
    plan = warm[0]
    assert isinstance(plan, Plan)
    beer, water, _ = plan.priced
    assert (beer.rule_discount_percent, water.unit_price) == (Decimal("4.5"), Decimal("9.10"))
    yesterday = warm[3]
    assert isinstance(yesterday, Plan)
    assert yesterday.priced[0].unit_price == Decimal("10.00")  # the client price starts today


async def test_each_call_gets_what_it_would_get_alone(env: Env) -> None:
    w = world(env)
    c, other = await new_customer(env), await new_customer(env)
    boss = Actor.of(new_id(), {"SUPERVISOR"})  # the company's outlets (for now)
    ok = [(w.beer.id, "1")]
    placed = await env.orders.orders_as(c.agent).SubmitOrder(submit_request(c, [ln(w.beer, "1")]))
    existing = command(c, ok, order_id=placed.order.id)
    async with env.app.uow() as uow:
        await uow.record_responses([("SubmitOrder:stored", "digest", b"\x0a\x00")])
        await uow.commit()
    async with reader_of(env) as (reader, _):
        cmds = [
            command(c, ok, outlet_id=new_id()),  # not on the agent's routes (unknown)
            command(c, ok, outlet_id=other.outlet_id),  # not on its routes (another agent's)
            command(c, ok, outlet_id=new_id(), actor=boss),  # unknown outlet
            command(c, ok, outlet_id=other.outlet_id, actor=boss),  # another client's outlet
            command(other, ok, actor=Actor.of(c.agent.subject, c.agent.roles)),  # ditto
            replace(existing, actor=Actor.of(other.agent.subject, {"AGENT"})),  # not its order
            command(c, ok, client_id=new_id()),  # a client the feed never told of
            command(c, [(w.beer.id, "1"), (new_id(), "1")]),  # unknown product
            command(c, ok, order_id="not-a-uuid"),
            command(c, ok, order_date=prices_from() - timedelta(days=1)),  # no price list yet
            command(c, ok, delivery_date=today() - timedelta(days=1)),  # before the order
            command(c, ok, order_date=date(2000, 1, 1)),  # outside the order date window
            replace(existing, delivery_date=date(2000, 1, 1)),  # exists: answered as it is
            command(c, [(w.chips.id, "2")]),
            command(c, ok, order_id="not-a-uuid"),  # answered from its stored response
        ]
        keys = [""] * (len(cmds) - 1) + ["SubmitOrder:stored"]
        for _ in range(2):  # cold, then warm cache
            got = await batch(env, reader, cmds, keys)
            for cmd, outcome in zip(cmds[:-1], got[:-1], strict=True):
                same(outcome, await alone(env, cmd))
            assert got[-1] == b"\x0a\x00"  # the stored answer


async def test_many_products_are_read_in_chunks(env: Env) -> None:
    """More products than one statement binds: a transaction of one snapshot, in chunks."""
    w = world(env)
    c = await new_customer(env)
    await client_terms(env, c)
    cmds = [
        command(c, [(w.beer.id, "6"), (w.water.id, "2")]),
        command(c, [(w.chips.id, "1"), (w.water.id, "3")]),
    ]
    async with reader_of(env, max_products=1) as (reader, seen):
        for _ in range(2):
            got = await batch(env, reader, cmds)
            for cmd, outcome in zip(cmds, got, strict=True):
                same(outcome, await alone(env, cmd))
            assert seen["statements"] > 1
