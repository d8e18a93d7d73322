"""SubmitOrders, the SubmitOrder use case, on fakes: each call of a batch judged on its own.

The reader, the credit checker and the unit of work are in memory; the rules are the ones the
integration tests (tests/integration/test_orders_api.py, test_submit_batches.py) check over
gRPC on real databases.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from fieldline_kit.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from fieldline_kit.idempotency import IdempotentCall
from fieldline_kit.testing.helpers import new_id
from fieldline_kit.tracing import Origin
from fieldline_orders.adapters.submit_reads import CatalogView, SubmitKeys, SubmitReads
from fieldline_orders.domain.access import Actor
from fieldline_orders.domain.budgets import BudgetState
from fieldline_orders.domain.events import OrderHeld, OrderSubmitted
from fieldline_orders.domain.feed import DISTRIBUTOR, ClientState
from fieldline_orders.domain.orders import (
    CreditDecision,
    CreditOutcome,
    CreditRequest,
    Order,
    OrderHeader,
)
from fieldline_orders.domain.pricing import LineInput, PriceBook, PricedLine
from fieldline_orders.domain.promotions import Promotion
from fieldline_orders.service_layer.submit import (
    SubmitCall,
    SubmitCommand,
    SubmitOrders,
)

from .fakes import FakeOrdersUnitOfWork
from .orders_factories import (
    ALLOW,
    CLIENT,
    DATES,
    DAY,
    LIMITS,
    NOW,
    OTHER_CLIENT,
    price_list,
    price_type,
    product,
    van,
)

OUTLET = "33333333-3333-4333-8333-333333333333"
OTHER_OUTLET = "44444444-4444-4444-8444-444444444444"
AGENT = "55555555-5555-4555-8555-555555555555"
OTHER_AGENT = "66666666-6666-4666-8666-666666666666"
# Callers as their tokens name them (and the tokens, opaque here).
AGENT_ACTOR = Actor.of(AGENT, {"AGENT"})
# AGENT's supervisor: its scope is its team's (AGENT's orders and routes).
SUPERVISOR = Actor.of("77777777-7777-4777-8777-777777777777", {"SUPERVISOR"}, team={AGENT})
IMPORTS = Actor.of("svc:exchange", {"SERVICE"}, "service", acting_for=AGENT)
BEER = product()
PRICES = price_type()
LIST = price_list(PRICES, {BEER.id: "60.00"})


class FakeSubmitUnitOfWork(FakeOrdersUnitOfWork):
    fail_records = 0  # record_responses raises IntegrityError this many times

    async def record_responses(self, records: Sequence[tuple[str, str, bytes]]) -> None:
        if self.fail_records:
            self.fail_records -= 1
            raise IntegrityError("INSERT INTO idempotency", {}, Exception("duplicate key"))
        await super().record_responses(records)


class FakeReader:
    """What the probe would read, from the fake unit of work's tables and a fixed catalog."""

    def __init__(self, uow: FakeSubmitUnitOfWork) -> None:
        self.uow = uow
        self.owners = {OUTLET: CLIENT, OTHER_OUTLET: OTHER_CLIENT}
        # (agent, outlet) on a route: AGENT works both outlets, OTHER_AGENT neither.
        self.routes = {(AGENT, OUTLET), (AGENT, OTHER_OUTLET)}
        self.reads: list[SubmitKeys] = []
        # The clients whose types each ask named (the distributors orders name).
        self.client_type_asks: list[set[str]] = []
        # Registered warehouses, id → owner ("" = the company's), and what each ask named.
        self.warehouses: dict[str, str] = {}
        self.warehouse_asks: list[set[str]] = []

    def promotion_products(self, since: date) -> set[str]:
        return set()  # no promotions here (tests/integration/test_order_promotions.py)

    async def promotions(self, promotion_ids: Collection[str]) -> list[Promotion]:
        return []

    async def budgets(self, promotion_ids: Collection[str]) -> dict[str, BudgetState]:
        return {}

    async def read(self, keys: SubmitKeys) -> tuple[SubmitReads, CatalogView]:
        self.reads.append(keys)
        reads = SubmitReads(
            stored={k: v for k, v in self.uow.responses.items() if k in keys.request_keys},
            taken={oid for oid in keys.order_ids if (oid,) in self.uow.orders.rows},
            owners={o: c for o, c in self.owners.items() if o in keys.outlet_ids},
            price_types={c: PRICES for c in keys.client_ids},
            routes={
                (a, o) for a, o in self.routes if a in keys.route_agents and o in keys.outlet_ids
            },
        )
        catalog = CatalogView({BEER.id: BEER}, {}, {(PRICES.id, on): [LIST] for on in keys.dates})
        return reads, catalog

    async def known_clients(self, client_ids: Collection[str]) -> set[str]:
        return set(self.owners.values()) & set(client_ids)

    async def distributor_books(
        self, wants: Collection[tuple[str, str, date]], product_ids: Sequence[str]
    ) -> dict[tuple[str, str, date], PriceBook]:
        return {}

    async def field_agents(self, outlet_ids: Collection[str]) -> dict[str, set[str]]:
        return {o: set() for o in outlet_ids}

    async def warehouse_owners(self, warehouse_ids: Collection[str]) -> dict[str, str]:
        if warehouse_ids:  # (the real reader reads nothing for none)
            self.warehouse_asks.append(set(warehouse_ids))
        return {w: o for w, o in self.warehouses.items() if w in warehouse_ids}

    async def employee_roles(self, employee_ids: Collection[str]) -> dict[str, frozenset[str]]:
        return {}

    async def client_types(self, client_ids: Collection[str]) -> dict[str, str]:
        if client_ids:  # (the real reader reads nothing for none)
            self.client_type_asks.append(set(client_ids))
        clients = self.uow.feed.clients
        return {c: clients[c].type for c in client_ids if c in clients}

    async def orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        found = [await self.uow.orders.find(oid) for oid in order_ids]
        return {o.id: o for o in found if o is not None}


class FakeCredit:
    def __init__(self, outcome: CreditOutcome = CreditOutcome.ALLOW) -> None:
        self.outcome = outcome
        self.asked: list[list[CreditRequest]] = []
        self.failure: DomainError | None = None

    async def check_many(
        self, requests: Sequence[CreditRequest]
    ) -> list[CreditDecision | DomainError]:
        self.asked.append(list(requests))
        if self.failure is not None:
            raise self.failure
        reasons = ("over the limit",) if self.outcome is CreditOutcome.BLOCK else ()
        return [CreditDecision(self.outcome, reasons, decided_at=NOW) for _ in requests]


class World:
    def __init__(self) -> None:
        self.uow = FakeSubmitUnitOfWork(clock=lambda: NOW)
        self.reader = FakeReader(self.uow)
        self.credit = FakeCredit()
        self.today = DAY
        self.submit = SubmitOrders(
            reader=self.reader,
            credit=self.credit,  # type: ignore[arg-type]
            uow=lambda: self.uow,
            clock=lambda: NOW,
            today=lambda: self.today,
            limits=LIMITS,
            dates=DATES,
            respond=lambda order: f"{order.id}:{order.status.name}:{order.version}".encode(),
        )

    def stored_order(self, order_id: str) -> Order:
        return self.uow.orders.rows[(order_id,)]


def command(**changes: Any) -> SubmitCommand:
    cmd = SubmitCommand(
        order_id=new_id(),
        client_id=CLIENT,
        outlet_id=OUTLET,
        distributor_id="",
        warehouse_id="",
        order_date=None,
        delivery_date=None,
        lines=[LineInput(BEER.id, "pcs", "2")],
        comment="",
        override_reason="",
        actor=AGENT_ACTOR,
        actor_token="token-of-the-agent",
    )
    return replace(cmd, **changes)


def call(cmd: SubmitCommand, request_id: str | None = None, digest: str = "d") -> SubmitCall:
    rid = str(uuid.uuid4()) if request_id is None else request_id
    key = f"SubmitOrder:{rid}" if rid else ""
    return SubmitCall(
        cmd, IdempotentCall(key, digest if key else ""), origin=Origin("c-" + cmd.order_id)
    )


def header(order_id: str) -> OrderHeader:
    return OrderHeader.create(
        order_id=order_id, client_id=CLIENT, outlet_id=OUTLET, agent_id=AGENT, order_date=DAY
    )


def priced() -> list[PricedLine]:
    book = PriceBook(CLIENT, DAY, PRICES, {BEER.id: BEER}, price_lists=[LIST])
    return list(book.price_lines([LineInput(BEER.id, "pcs", "1")], roles=(), limits=LIMITS))


def answer(order_id: str, status: str, version: int = 1) -> bytes:
    return f"{order_id}:{status}:{version}".encode()


@pytest.fixture
def w() -> World:
    return World()


async def test_a_new_order_is_priced_checked_written_and_answered(w: World) -> None:
    c = call(command())
    [outcome] = await w.submit([c])
    assert outcome == answer(c.cmd.order_id, "SUBMITTED")
    order = w.stored_order(c.cmd.order_id)
    assert order.gross_total == 120 and order.agent_id == AGENT and order.order_date == DAY
    [[asked]] = w.credit.asked
    assert (asked.client_id, asked.amount, asked.as_of) == (CLIENT, order.gross_total, DAY)
    assert [type(e) for e in w.uow.events] == [OrderSubmitted]
    assert w.uow.responses == {c.idempotency.key: ("d", outcome)}
    assert w.uow.commits == 1 and len(w.reader.reads) == 1


async def test_an_order_the_policy_blocks_is_written_on_hold(w: World) -> None:
    w.credit.outcome = CreditOutcome.BLOCK
    c = call(command())
    assert await w.submit([c]) == [answer(c.cmd.order_id, "CREDIT_HOLD")]
    assert [type(e) for e in w.uow.events] == [OrderHeld]


async def test_a_retry_is_answered_from_its_stored_answer_without_asking_settlements(
    w: World,
) -> None:
    c = call(command())
    [first] = await w.submit([c])
    [again] = await w.submit([c])
    assert again == first
    assert len(w.credit.asked) == 1 and w.uow.commits == 1
    other = replace(c, idempotency=IdempotentCall(c.idempotency.key, "another digest"))
    [refused] = await w.submit([other])
    assert isinstance(refused, InvalidArgument) and refused.field == "request_id"


async def test_each_call_of_a_batch_gets_what_it_would_get_alone(w: World) -> None:
    good = call(command())
    unknown_outlet = call(command(outlet_id=new_id(), actor=IMPORTS))
    foreign_outlet = call(command(outlet_id=OTHER_OUTLET))
    bad_line = call(command(lines=[LineInput(BEER.id, "crate", "1")]))
    bad_id = call(command(order_id="not-an-id"))
    unknown_client = call(command(client_id=new_id()))
    outcomes = await w.submit(
        [good, unknown_outlet, foreign_outlet, bad_line, bad_id, unknown_client]
    )
    assert outcomes[0] == answer(good.cmd.order_id, "SUBMITTED")
    assert isinstance(outcomes[1], NotFound) and outcomes[1].field == "outlet_id"
    assert isinstance(outcomes[2], InvalidArgument)
    assert outcomes[2].message == "outlet_id: belongs to another client"
    assert isinstance(outcomes[3], InvalidArgument) and outcomes[3].field.startswith("lines[0]")
    assert isinstance(outcomes[4], InvalidArgument) and outcomes[4].field == "order_id"
    # A client the clients feed never told of: not found, rather than the wrong client.
    assert isinstance(outcomes[5], NotFound) and outcomes[5].field == "client_id"
    # Settlements is asked once, for the one good order; only it is written and stored.
    assert [[r.order_id for r in batch] for batch in w.credit.asked] == [[good.cmd.order_id]]
    assert [o.id for o in w.uow.orders.all()] == [good.cmd.order_id]
    assert list(w.uow.responses) == [good.idempotency.key]


async def test_an_order_that_exists_is_answered_as_it_is_even_after_midnight(w: World) -> None:
    first = call(command())
    await w.submit([first])
    w.today = DAY + timedelta(days=1)  # its order date is in the past now: it is not judged again
    retry = call(replace(first.cmd, order_date=DAY, delivery_date=DAY))
    [outcome] = await w.submit([retry])
    assert outcome == answer(first.cmd.order_id, "SUBMITTED")
    assert len(w.credit.asked) == 1  # no second check, no second order
    assert w.uow.responses[retry.idempotency.key] == ("d", outcome)  # stored under its own key


async def test_a_held_order_submitted_again_is_checked_again_and_released(w: World) -> None:
    w.credit.outcome = CreditOutcome.BLOCK
    held = call(command())
    await w.submit([held])
    w.credit.outcome = CreditOutcome.ALLOW
    again = call(held.cmd)
    [outcome] = await w.submit([again])
    assert outcome == answer(held.cmd.order_id, "SUBMITTED", 2)
    [asked] = w.credit.asked[1]
    assert asked.amount == w.stored_order(held.cmd.order_id).gross_total
    assert [type(e) for e in w.uow.events] == [OrderHeld, OrderSubmitted]

    retry = call(held.cmd)  # released now: answered as it is
    assert await w.submit([retry]) == [answer(held.cmd.order_id, "SUBMITTED", 2)]


async def test_another_agents_order_is_neither_answered_nor_checked_again(w: World) -> None:
    w.credit.outcome = CreditOutcome.BLOCK
    held = call(command())
    await w.submit([held])
    other = Actor.of(OTHER_AGENT, {"AGENT"})
    [refused] = await w.submit([call(replace(held.cmd, actor=other))])
    assert isinstance(refused, PermissionDenied) and "order_id" in refused.message
    assert len(w.credit.asked) == 1 and w.stored_order(held.cmd.order_id).version == 1
    # The agent's supervisor (its team's orders are in its scope) may: checked again as them.
    [outcome] = await w.submit([call(replace(held.cmd, actor=SUPERVISOR, actor_token="t-s"))])
    assert outcome == answer(held.cmd.order_id, "CREDIT_HOLD", 2)
    [asked] = w.credit.asked[1]
    assert (asked.actor_id, asked.actor_token) == (SUPERVISOR.id, "t-s")
    assert w.stored_order(held.cmd.order_id).agent_id == AGENT  # still the agent's order


async def test_the_id_of_a_van_sale_is_refused(w: World) -> None:
    van_sale = Order.van_sale(
        header(new_id()), van(), priced(), "RUB", ALLOW, Decimal(0), "R-1", NOW
    )
    w.uow.orders.put(van_sale)
    [refused] = await w.submit([call(command(order_id=van_sale.id))])
    assert isinstance(refused, AlreadyExists) and "van sale" in refused.message


async def test_a_second_call_for_the_same_order_in_a_batch_is_a_retry(w: World) -> None:
    first = call(command())
    second = call(first.cmd)  # another request_id, the same order
    outcomes = await w.submit([first, second])
    assert outcomes == [answer(first.cmd.order_id, "SUBMITTED")] * 2
    assert len(w.credit.asked) == 1 and len(w.uow.orders.all()) == 1
    assert len(w.reader.reads) == 2  # its own round, after the first


async def test_settlements_failing_fails_the_orders_it_was_asked_for_and_writes_nothing(
    w: World,
) -> None:
    w.credit.failure = Unavailable("settlements CheckCredit failed: INTERNAL")
    outcomes = await w.submit([call(command()), call(command(outlet_id=new_id()))])
    assert isinstance(outcomes[0], Unavailable) and isinstance(outcomes[1], PermissionDenied)
    assert w.uow.orders.all() == [] and w.uow.responses == {} and w.uow.commits == 0


async def test_a_call_whose_answer_a_concurrent_copy_stored_first_gets_that_answer(
    w: World,
) -> None:
    winner = call(command())
    loser_answer = b"stored by the winner"
    w.uow.fail_records = 1

    async def stored_meanwhile(keys: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        return {winner.idempotency.key: ("d", loser_answer)}

    w.uow.stored_responses = stored_meanwhile  # type: ignore[method-assign]
    others = call(command())
    outcomes = await w.submit([winner, others])
    assert outcomes[0] == loser_answer
    assert outcomes[1] == answer(others.cmd.order_id, "SUBMITTED")
    assert [o.id for o in w.uow.orders.all()] == [others.cmd.order_id]


async def test_two_lost_races_in_a_row_are_a_conflict(w: World) -> None:
    w.uow.fail_records = 2
    with pytest.raises(Conflict, match="concurrent request"):
        await w.submit([call(command())])


async def test_an_order_written_meanwhile_by_another_call_is_answered_as_it_is(w: World) -> None:
    c = call(command())
    reader_read = w.reader.read

    async def read_then_race(keys: SubmitKeys) -> tuple[SubmitReads, CatalogView]:
        found = await reader_read(keys)
        # After the read, a concurrent submit of the same order (another replica) wins.
        w.uow.orders.put(Order.submit(header(c.cmd.order_id), priced(), "RUB", ALLOW, NOW))
        return found

    w.reader.read = read_then_race  # type: ignore[method-assign]
    [outcome] = await w.submit([c])
    assert outcome == answer(c.cmd.order_id, "SUBMITTED")
    assert w.stored_order(c.cmd.order_id).gross_total == 60  # the winner's, not a second one
    assert w.uow.events == []


# ------------------------------------------------------------------------------- callers
async def test_each_check_of_a_batch_carries_its_own_callers_token(w: World) -> None:
    w.reader.routes.add((OTHER_AGENT, OUTLET))
    other = Actor.of(OTHER_AGENT, {"AGENT"})
    mine, theirs = call(command()), call(command(actor=other, actor_token="token-of-other"))
    outcomes = await w.submit([mine, theirs])
    assert all(isinstance(o, bytes) for o in outcomes)
    [asked] = w.credit.asked
    assert [(r.actor_id, r.actor_token) for r in asked] == [
        (AGENT, "token-of-the-agent"),
        (OTHER_AGENT, "token-of-other"),
    ]
    assert w.stored_order(mine.cmd.order_id).agent_id == AGENT
    assert w.stored_order(theirs.cmd.order_id).agent_id == OTHER_AGENT


async def test_an_agent_submits_only_at_the_outlets_of_its_routes(w: World) -> None:
    other = Actor.of(OTHER_AGENT, {"AGENT"})
    [refused] = await w.submit([call(command(actor=other))])
    assert isinstance(refused, PermissionDenied) and "outlet_id" in refused.message
    assert w.credit.asked == [] and w.uow.orders.all() == [] and w.uow.commits == 0
    assert {a for keys in w.reader.reads for a in keys.route_agents} == {OTHER_AGENT}


async def test_a_service_submits_for_the_employee_its_token_names(w: World) -> None:
    c = call(command(actor=IMPORTS, actor_token="token-of-the-service"))
    [outcome] = await w.submit([c])
    assert outcome == answer(c.cmd.order_id, "SUBMITTED")
    assert w.stored_order(c.cmd.order_id).agent_id == AGENT
    [[asked]] = w.credit.asked
    assert asked.actor_token == ""  # no user's token: no override possible
    alone = Actor.of("svc:exchange", {"SERVICE"}, "service")
    [refused] = await w.submit([call(command(actor=alone))])
    assert isinstance(refused, PermissionDenied) and "act" in refused.message


# ---------------------------------------------------------------------------- warehouses
async def test_an_order_naming_a_registered_warehouse_of_another_owner_is_refused(
    w: World,
) -> None:
    """The warehouses the batch's orders name are read once, only when one names any; an
    order for the company naming a distributor's warehouse, or a distributor's order naming
    the company's or another distributor's, fails alone; an unregistered one is taken."""
    d1, d2 = new_id(), new_id()
    for d in (d1, d2):
        await w.uow.feed.put_client(ClientState(d, DISTRIBUTOR, 1))
    ours, theirs, unknown = new_id(), new_id(), new_id()
    w.reader.warehouses = {ours: "", theirs: d2}
    await w.submit([call(command())])
    assert w.reader.warehouse_asks == []  # no order names a warehouse: nothing read
    calls = [
        call(command(warehouse_id=ours)),
        call(command(warehouse_id=unknown)),
        call(command(warehouse_id=theirs)),
        call(command(warehouse_id=theirs, distributor_id=d2)),
        call(command(warehouse_id=ours, distributor_id=d1)),
        call(command(warehouse_id=theirs, distributor_id=d1)),
    ]
    outcomes = await w.submit(calls)
    assert w.reader.warehouse_asks == [{ours, theirs, unknown}]  # once for the batch
    assert [isinstance(o, bytes) for o in outcomes] == [True, True, False, True, False, False]
    refused = {i: o for i, o in enumerate(outcomes) if isinstance(o, InvalidArgument)}
    assert {i: e.message for i, e in refused.items()} == {
        2: f"warehouse_id: warehouse {theirs} belongs to distributor {d2}",
        4: f"warehouse_id: warehouse {ours} belongs to the company",
        5: f"warehouse_id: warehouse {theirs} belongs to distributor {d2}",
    }
    stored = {o.id: (o.warehouse_id, o.distributor_id) for o in w.uow.orders.all()}
    for i in (0, 1, 3):
        cmd = calls[i].cmd
        assert stored[cmd.order_id] == (cmd.warehouse_id, cmd.distributor_id)
    assert not {calls[i].cmd.order_id for i in refused} & set(stored)
    assert [len(batch) for batch in w.credit.asked] == [1, 3]  # the refused: never asked
