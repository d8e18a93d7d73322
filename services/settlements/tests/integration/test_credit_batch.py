"""CheckCreditBatch: checks judged in order in one transaction (real DB and NATS).

The batch must answer exactly what the same checks sent one by one with CheckCredit answer,
and leave the same reservations; bad checks get their own error; concurrent batches over the
same clients neither deadlock nor let a client over its limit.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from fieldline.settlements.v1 import resources_pb2 as pb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.testing.helpers import expect_error, new_id
from fieldline_settlements.adapters import orm
from fieldline_settlements.adapters.proto_mapping import decision_pb
from fieldline_settlements.adapters.repository import load_ledger, reserved_total
from fieldline_settlements.domain.account import Reservation
from fieldline_settlements.domain.ledger import InvoiceSource, PaymentKind
from fieldline_settlements.domain.policy import (
    Actor,
    ClientPolicy,
    CreditFigures,
    DebtPolicy,
    Decision,
    PolicyMode,
    Stage,
    evaluate,
)
from fieldline_settlements.service_layer import handlers

from .builders import (
    ACTOR_ID,
    balance,
    check,
    check_request,
    dec,
    set_limit,
)
from .conftest import Harness

ALLOW, BLOCK = ss.CREDIT_OUTCOME_ALLOW, ss.CREDIT_OUTCOME_BLOCK


# A check without a request_id unless one is given (CheckCredit's builders add one).
request = check_request


async def batch(h: Harness, *checks: ss.CheckCreditRequest) -> list[ss.CheckCreditResult]:
    response = await h.orders.CheckCreditBatch(ss.CheckCreditBatchRequest(checks=checks))
    assert len(response.results) == len(checks)
    return list(response.results)


def decisions(results: list[ss.CheckCreditResult]) -> list[ss.CheckCreditResponse]:
    assert all(r.WhichOneof("result") == "decision" for r in results), results
    return [r.decision for r in results]


async def reservations(h: Harness, client_ids: list[str]) -> dict[str, tuple[str, Decimal, str]]:
    t = orm.credit_reservations
    async with h.app.sessions() as s:
        rows = (await s.execute(select(t).where(t.c.client_id.in_(client_ids)))).all()
    return {r.order_id: (r.client_id, r.amount, r.stage) for r in rows}


# ------------------------------------------------------------------------- basic behaviour
async def test_a_batch_is_judged_in_order_and_reserves_like_checks_one_by_one(
    svc: Harness,
) -> None:
    client, other = new_id(), new_id()
    await set_limit(svc, client, "1000.00")
    order_a, order_b, van = new_id(), new_id(), new_id()
    a, b, c, again, elsewhere = decisions(
        await batch(
            svc,
            request(client, "600.00", order_id=order_a),
            request(client, "300.00", order_id=order_b),
            request(client, "200.00"),  # 600 + 300 + 200 > 1000: blocked, reserves nothing
            request(client, "100.00", order_id=order_a),  # order_a again: replaces its 600
            request(other, "5000.00", order_id=van, stage=pb.STAGE_VAN_SALE),
        )
    )
    assert (a.outcome, dec(a.figures.reserved)) == (ALLOW, 0)
    assert (b.outcome, dec(b.figures.reserved)) == (ALLOW, 600)
    assert (c.outcome, dec(c.figures.reserved), dec(c.figures.exposure)) == (BLOCK, 900, 1100)
    assert (again.outcome, dec(again.figures.reserved)) == (ALLOW, 300)
    assert elsewhere.outcome == ALLOW and not elsewhere.figures.has_credit_limit
    assert await reservations(svc, [client, other]) == {
        order_a: (client, Decimal("100.00"), "ORDER_SUBMIT"),
        order_b: (client, Decimal("300.00"), "ORDER_SUBMIT"),
        van: (other, Decimal("5000.00"), "VAN_SALE"),
    }
    assert dec((await balance(svc, client)).reserved) == 400
    # A later single check sees the batch's reservations.
    single = await check(svc, client, "700.00")
    assert (single.outcome, dec(single.figures.reserved)) == (BLOCK, 400)


async def test_an_empty_batch_and_a_batch_too_big(svc: Harness) -> None:
    assert await batch(svc) == []
    too_many = [request(new_id(), "1.00") for _ in range(501)]
    await expect_error(
        svc.orders.CheckCreditBatch(ss.CheckCreditBatchRequest(checks=too_many)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "checks: must have at most 500 items, got 501",
    )
    assert await reservations(svc, [r.client_id for r in too_many]) == {}


async def test_the_largest_batch_with_request_ids(svc: Harness) -> None:
    clients = [new_id() for _ in range(50)]
    checks = [
        request(clients[i % 50], "10.00", request_id=new_id(), as_of=date(2024, 6, 1))
        for i in range(500)
    ]
    first = decisions(await batch(svc, *checks))
    assert all(d.outcome == ALLOW for d in first)
    assert [dec(d.figures.reserved) for d in first[:100:50]] == [0, 10]
    assert decisions(await batch(svc, *checks)) == first  # every answer from its record
    assert len(await reservations(svc, clients)) == 500


async def test_a_bad_check_gets_its_own_error_and_the_others_are_judged(svc: Harness) -> None:
    client = new_id()
    await set_limit(svc, client, "1000.00")
    good_a, good_b = new_id(), new_id()
    negative = request(client, "1.00")
    negative.amount.units = -1
    foreign = request(client, "1.00")
    foreign.amount.currency_code = "EUR"
    results = await batch(
        svc,
        request(client, "300.00", order_id=good_a),
        negative,
        request(client, "1.00", order_id="order-1"),
        foreign,
        request(client, "1.00", stage=pb.STAGE_UNSPECIFIED),
        request(client, "1.00", request_id="not-a-uuid"),
        request("acme", "1.00"),
        request(client, "400.00", order_id=good_b),
    )
    errors = [(r.error.code, r.error.message) for r in results if r.WhichOneof("result") == "error"]
    assert errors == [
        ("INVALID_ARGUMENT", "amount: must not be negative, got -1.00"),
        ("INVALID_ARGUMENT", "order_id: must be a UUID, got 'order-1'"),
        ("INVALID_ARGUMENT", "amount.currency_code: must be RUB, got 'EUR'"),
        ("INVALID_ARGUMENT", "stage: is required (ORDER_SUBMIT or VAN_SALE)"),
        ("INVALID_ARGUMENT", "request_id: must be a UUID, got 'not-a-uuid'"),
        ("INVALID_ARGUMENT", "client_id: must be a UUID, got 'acme'"),
    ]
    first, last = results[0].decision, results[-1].decision
    assert (first.outcome, last.outcome, dec(last.figures.reserved)) == (ALLOW, ALLOW, 300)
    assert set(await reservations(svc, [client])) == {good_a, good_b}
    # The same checks alone get the same codes and messages.
    for index, bad in ((1, negative), (3, foreign)):
        error = await expect_error(
            svc.settlements.CheckCredit(bad), grpc.StatusCode.INVALID_ARGUMENT
        )
        assert error.details() == results[index].error.message


# ----------------------------------------------------------------------------- idempotency
async def test_checks_with_a_request_id_are_answered_from_their_record(svc: Harness) -> None:
    client = new_id()
    await set_limit(svc, client, "1000.00")
    first = request(client, "600.00", request_id=new_id())
    second = request(client, "300.00", request_id=new_id())
    plain = request(client, "50.00")  # no request_id: judged again on a retry
    answers = await batch(svc, first, second, plain)
    assert [dec(d.figures.reserved) for d in decisions(answers)] == [0, 600, 900]
    # The retry: the two recorded answers come back as they were (judged again, the first
    # would now see the others' 350), the plain check is judged again (its own order's
    # reservation replaced).
    retry = await batch(svc, first, second, plain)
    assert retry[:2] == answers[:2]
    assert dec(retry[2].decision.figures.reserved) == 900
    assert sum(a for _, a, _ in (await reservations(svc, [client])).values()) == 950
    # A recorded check retried with a new one: the new one sees the recorded reservations.
    mixed = await batch(svc, request(client, "100.00"), second)
    assert mixed[1] == answers[1]
    assert (mixed[0].decision.outcome, dec(mixed[0].decision.figures.reserved)) == (BLOCK, 950)
    # The same request id for another check: that check is refused, the others judged.
    reused = request(client, "1.00", request_id=first.request_id)
    results = await batch(svc, reused, request(client, "1.00"))
    assert results[0].error == ss.CheckCreditError(
        code="INVALID_ARGUMENT",
        message="request_id: was already used for a different request",
    )
    assert (results[1].decision.outcome, dec(results[1].decision.figures.reserved)) == (ALLOW, 950)


async def test_a_check_alone_and_in_a_batch_share_the_record(svc: Harness) -> None:
    client = new_id()
    await set_limit(svc, client, "1000.00")
    # The orders service both times: a request id is its caller's (another caller replaying
    # it is another request; fieldline_kit.idempotency).
    alone = request(client, "400.00", request_id=new_id())
    answer = await svc.orders.CheckCredit(alone)
    (in_batch,) = await batch(svc, alone)
    assert in_batch.decision == answer
    batched = request(client, "100.00", request_id=new_id())
    (first,) = await batch(svc, batched)
    assert await svc.orders.CheckCredit(batched) == first.decision
    assert dec(first.decision.figures.reserved) == 400
    assert dec((await balance(svc, client)).reserved) == 500


async def test_the_same_request_id_twice_in_one_batch(svc: Harness) -> None:
    client = new_id()
    await set_limit(svc, client, "1000.00")
    once = request(client, "300.00", request_id=new_id())
    other = request(client, "1.00", request_id=once.request_id)
    a, b, c, d = await batch(svc, once, request(client, "200.00"), once, other)
    assert c == a  # the second copy is answered as the first (a retry inside the batch)
    assert dec(b.decision.figures.reserved) == 300
    assert d.error.message == "request_id: was already used for a different request"
    assert dec((await balance(svc, client)).reserved) == 500


# ----------------------------------------------------------------------------- concurrency
async def with_limits(h: Harness, count: int, limit: str) -> list[str]:
    clients = [new_id() for _ in range(count)]
    cfg, now = h.app.config, h.app.clock()
    async with h.app.uow() as uow:
        for client in clients:
            await handlers.set_credit_limit(
                uow,
                cfg,
                now,
                now.date(),
                client_id=client,
                limit=Decimal(limit),
                clear=False,
                terms_days=0,
            )
        await uow.commit()
    return clients


async def test_concurrent_batches_over_the_same_clients_neither_deadlock_nor_overbook(
    svc: Harness,
) -> None:
    """Each client has room for one 600 order; each of four batches asks for one per client,
    naming the clients in different orders (forward, backward, shuffled), and single checks
    race them. On PostgreSQL, batches locking their accounts in the order given would
    deadlock here; locked in client id order, they wait for each other."""
    rnd = random.Random(7)
    for _ in range(3):
        clients = await with_limits(svc, 40, "1000.00")
        shuffled = [rnd.sample(clients, len(clients)) for _ in range(2)]
        orders = [clients, clients[::-1], *shuffled]
        batches = [[request(c, "600.00") for c in order] for order in orders]
        lonely = clients[::7]
        answers = await asyncio.wait_for(
            asyncio.gather(
                *(batch(svc, *checks) for checks in batches),
                *(check(svc, c, "600.00") for c in lonely),
            ),
            60,
        )
        outcomes: dict[str, list[int]] = {c: [] for c in clients}
        for results, checks in zip(answers[: len(batches)], batches, strict=True):
            for result, sent in zip(decisions(results), checks, strict=True):
                outcomes[sent.client_id].append(result.outcome)
        for single, client in zip(answers[len(batches) :], lonely, strict=True):
            outcomes[client].append(single.outcome)
        for client, got in outcomes.items():
            assert got.count(ALLOW) == 1 and got.count(BLOCK) == len(got) - 1, (client, got)
        assert sum(a for _, a, _ in (await reservations(svc, clients)).values()) == 600 * 40


# ---------------------------------------------------------------------- statements counted
async def test_a_batch_takes_the_same_few_statements_whatever_its_size(svc: Harness) -> None:
    cfg, now = svc.app.config, svc.app.clock()
    statements: list[str] = []

    def count(conn: object, cursor: object, sql: str, *args: object) -> None:
        if sql.lstrip().split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
            statements.append(sql)

    clients = [new_id() for _ in range(10)]
    async with svc.app.uow() as uow:
        # Old reservations (expired) for some clients, so the batch purges.
        await uow.reservations.put_many(
            [
                Reservation.create(new_id(), c, Decimal(5), "ORDER_SUBMIT", now, -1)
                for c in clients[:3]
            ]
        )
        await uow.commit()
    counts, standings = [], []
    texts: list[set[str]] = []
    for size in (1, 8, 40):
        items = [
            (
                date(2024, 6, 1),
                handlers.CreditCheckInput(
                    order_id=new_id(),
                    client_id=clients[i % len(clients)],
                    amount=Decimal("10.00") if i % 5 else Decimal("100000.00"),  # some blocked
                    stage=Stage.ORDER_SUBMIT,
                    actor=Actor.of("", ["AGENT"], ""),
                ),
            )
            for i in range(size)
        ]
        await set_limit(svc, clients[0], "50.00")
        statements.clear()
        async with svc.app.uow() as uow:
            connection = (await uow.session.connection()).sync_connection
            assert connection is not None
            event.listen(connection, "before_cursor_execute", count)
            results = await handlers.check_credit_batch(uow, cfg, now, now.date(), items)
            event.remove(connection, "before_cursor_execute", count)
            await uow.commit()
        assert len(results) == size
        judged = [s for s in statements if s.lstrip().startswith("UPDATE client_accounts")]
        standings.append(len(judged))
        counts.append(len(statements) - len(judged))
        texts.append({s for s in statements if s not in judged})
    # Always: lock the accounts, read the position (policies included). Then: the first
    # batch (client 0 only, blocked) purges client 0's expired reservation and puts nothing;
    # the second purges clients 1 and 2 (one DELETE) and puts its reservations (one upsert);
    # the third, with nothing expired left, only puts.
    assert counts == [3, 4, 3], (counts, statements)
    # Each statement takes the batch's ids (and the reservations' columns) as one list each:
    # the same SQL text whatever the batch's size (no parameter per id or per row).
    assert texts[0] <= texts[1] and texts[2] <= texts[1] and len(texts[1]) == 4, texts
    # And one write per client whose credit standing changed: here each client's first
    # judgement (client 0's came with its limit; 1–7 in the second batch, 8 and 9 in the
    # third); the others' decisions stayed as they were.
    assert standings == [0, 7, 2], standings


# ----------------------------------------------------------------------------- equivalence
@dataclass(frozen=True)
class ClientSetup:
    limit: str | None
    mode: PolicyMode | None  # None: the company's policy
    max_overdue_days: int
    invoices: tuple[tuple[str, int], ...]  # (amount, due: days before 2024-06-20)
    payment: str | None
    held: tuple[tuple[int, str, bool], ...]  # (order slot, amount, expired)


@dataclass(frozen=True)
class CheckSetup:
    client: int
    order: int
    amount: str
    stage: int
    override: bool
    as_of: int
    bad: str  # "", "order", "amount"


@dataclass
class World:
    clients: list[str]
    orders: list[str]
    names: dict[str, str] = field(default_factory=dict)  # real id → logical name

    def __post_init__(self) -> None:
        self.names.update({c: f"client{i}" for i, c in enumerate(self.clients)})
        self.names.update({o: f"order{i}" for i, o in enumerate(self.orders)})


AS_OF = (date(2024, 6, 1), date(2024, 6, 20), date(2024, 7, 31))
ORDERS = 5
money = st.sampled_from(["0.00", "150.00", "299.99", "400.00", "650.50", "1000.00"])
client_setups = st.builds(
    ClientSetup,
    limit=st.sampled_from([None, "500.00", "1000.00", "2500.00"]),
    mode=st.sampled_from([None, PolicyMode.BLOCK, PolicyMode.WARN, PolicyMode.IGNORE]),
    max_overdue_days=st.sampled_from([-1, 10, 30]),
    invoices=st.lists(
        st.tuples(st.sampled_from(["120.00", "480.00", "-60.00"]), st.integers(-20, 60)),
        max_size=3,
    ).map(tuple),
    payment=st.sampled_from([None, "100.00", "700.00"]),
    held=st.lists(
        st.tuples(st.integers(0, ORDERS), money, st.booleans()),
        max_size=2,
        unique_by=lambda h: h[0],
    ).map(tuple),
)
check_setups = st.builds(
    CheckSetup,
    client=st.integers(0, 2),
    order=st.integers(0, ORDERS - 1),
    amount=money,
    stage=st.sampled_from([pb.STAGE_ORDER_SUBMIT, pb.STAGE_VAN_SALE]),
    override=st.booleans(),
    as_of=st.integers(0, len(AS_OF) - 1),
    bad=st.sampled_from(["", "", "", "", "", "", "", "", "order", "amount"]),
)


async def prepare(h: Harness, setups: list[ClientSetup], invoiced_slot: int | None) -> World:
    """A fresh set of clients and orders (one more order: held by nobody in the checks)."""
    world = World([new_id() for _ in setups], [new_id() for _ in range(ORDERS + 1)])
    cfg, now, today = h.app.config, h.app.clock(), date(2024, 6, 20)
    async with h.app.uow() as uow:
        for client, s in zip(world.clients, setups, strict=True):
            if s.limit is not None:
                await handlers.set_credit_limit(
                    uow,
                    cfg,
                    now,
                    today,
                    client_id=client,
                    limit=Decimal(s.limit),
                    clear=False,
                    terms_days=0,
                )
            if s.mode is not None:
                await uow.policies.add(
                    ClientPolicy(
                        DebtPolicy.create(
                            client_id=client,
                            mode=s.mode,
                            check_credit_limit=True,
                            max_overdue_days=s.max_overdue_days,
                            stages=(Stage.ORDER_SUBMIT,),
                            override_roles=("SUPERVISOR",),
                        )
                    )
                )
            for amount, due_before in s.invoices:
                due = today - timedelta(days=due_before)
                await handlers.record_invoice(
                    uow,
                    cfg,
                    now,
                    today,
                    handlers.InvoiceInput(
                        id=new_id(),
                        number="",
                        client_id=client,
                        outlet_id="",
                        order_id="",
                        source=InvoiceSource.ERP,
                        issue_date=due,
                        due_date=due,
                        amount=Decimal(amount),
                    ),
                )
            if s.payment is not None:
                await handlers.record_payment(
                    uow,
                    cfg,
                    now,
                    today,
                    handlers.PaymentInput(
                        id=new_id(),
                        kind=PaymentKind.BANK,
                        client_id=client,
                        outlet_id="",
                        date=today,
                        amount=Decimal(s.payment),
                        receipt_number="",
                        collected_by="",
                    ),
                )
            for slot, amount, expired in s.held:
                order = world.orders[slot]
                created = now - timedelta(hours=100) if expired else now - timedelta(hours=1)
                await uow.reservations.put_many(
                    [Reservation.create(order, client, Decimal(amount), "VAN_SALE", created, 72)]
                )
        if invoiced_slot is not None:
            await handlers.record_invoice(
                uow,
                cfg,
                now,
                today,
                handlers.InvoiceInput(
                    id=new_id(),
                    number="",
                    client_id=world.clients[0],
                    outlet_id="",
                    order_id=world.orders[invoiced_slot],
                    source=InvoiceSource.ERP,
                    issue_date=today,
                    due_date=today + timedelta(days=30),
                    amount=Decimal("1.00"),
                ),
            )
        await uow.commit()
    return world


def check_request(world: World, c: CheckSetup) -> ss.CheckCreditRequest:
    r = request(
        world.clients[c.client],
        c.amount,
        order_id=world.orders[c.order] if c.bad != "order" else "order-x",
        stage=c.stage,
        roles=("SUPERVISOR",) if c.override else ("AGENT",),
        reason="known client" if c.override else "",
        as_of=AS_OF[c.as_of],
    )
    if c.bad == "amount":
        r.amount.units = -5
    return r


def logical(world: World, response: ss.CheckCreditResponse) -> ss.CheckCreditResponse:
    """The answer with the world's ids replaced by their logical names."""
    copy = ss.CheckCreditResponse()
    copy.CopyFrom(response)
    copy.policy.client_id = world.names.get(copy.policy.client_id, copy.policy.client_id)
    return copy


async def stored(h: Harness, world: World) -> set[tuple[str, str, Decimal, str, bool]]:
    t = orm.credit_reservations
    async with h.app.sessions() as s:
        rows = (
            await s.execute(
                select(t).where(t.c.client_id.in_(world.clients) | t.c.order_id.in_(world.orders))
            )
        ).all()
    now = datetime.now(UTC)
    return {
        (
            world.names[r.order_id],
            world.names[r.client_id],
            r.amount,
            r.stage,
            (r.expires_at.replace(tzinfo=UTC) if r.expires_at.tzinfo is None else r.expires_at)
            > now,
        )
        for r in rows
    }


async def reference_check(h: Harness, as_of: date, inp: handlers.CreditCheckInput) -> Decision:
    """The check as it was judged before batches: one client, one order, each figure from
    its own query (the ledger loaded and its figures computed in Python)."""
    cfg, now = h.app.config, h.app.clock()
    r = orm.credit_reservations
    async with h.app.uow() as uow:
        account = await uow.accounts.lock(inp.client_id, cfg.default_terms_days, now)
        policy, _ = await handlers.effective_policy(uow, cfg, inp.client_id)
        figures = (await load_ledger(uow.session, inp.client_id)).figures(as_of)
        reserved = await reserved_total(uow.session, inp.client_id, now, inp.order_id)
        expired = await uow.session.scalar(
            select(func.count()).where(r.c.client_id == inp.client_id, r.c.expires_at <= now)
        )
        order_reserved = await uow.session.scalar(
            select(func.count()).where(r.c.order_id == inp.order_id)
        )
        if expired:
            await uow.reservations.purge_expired([inp.client_id], now)
        assert inp.stage is not None
        decision = evaluate(
            policy,
            inp.stage,
            CreditFigures(
                balance=figures.balance,
                reserved=reserved,
                order_amount=inp.amount,
                credit_limit=account.credit_limit,
                overdue=figures.overdue,
                max_overdue_days=figures.max_overdue_days,
                overdue_threshold_days=policy.max_overdue_days,
            ),
            inp.actor,
            cfg.currency,
        )
        if decision.reserves and not await uow.invoices.exists_for_order(inp.order_id):
            await uow.reservations.put_many(
                [
                    Reservation.create(
                        inp.order_id,
                        inp.client_id,
                        inp.amount,
                        inp.stage.value,
                        now,
                        cfg.reservation_hours,
                    )
                ]
            )
        elif order_reserved:
            await uow.reservations.release(inp.order_id)
        await uow.commit()
    return decision


def reference_input(world: World, c: CheckSetup) -> tuple[date, handlers.CreditCheckInput]:
    override = c.override
    return AS_OF[c.as_of], handlers.CreditCheckInput(
        order_id=world.orders[c.order],
        client_id=world.clients[c.client],
        amount=Decimal(c.amount),
        stage=Stage.ORDER_SUBMIT if c.stage == pb.STAGE_ORDER_SUBMIT else Stage.VAN_SALE,
        actor=Actor.of(
            ACTOR_ID, ["SUPERVISOR" if override else "AGENT"], "known client" if override else ""
        ),
    )


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    setups=st.lists(client_setups, min_size=3, max_size=3),
    checks=st.lists(check_setups, min_size=4, max_size=10),
    invoiced_slot=st.one_of(st.none(), st.integers(0, ORDERS - 1)),
)
async def test_a_batch_answers_and_reserves_as_the_same_checks_one_by_one(
    svc: Harness,
    setups: list[ClientSetup],
    checks: list[CheckSetup],
    invoiced_slot: int | None,
) -> None:
    """Three identically prepared sets of clients and orders: one gets the checks in one
    CheckCreditBatch, one gets them one by one with CheckCredit, and one one by one through
    the check as it was judged before batches (`reference_check`)."""
    batched = await prepare(svc, setups, invoiced_slot)
    one_by_one = await prepare(svc, setups, invoiced_slot)
    reference = await prepare(svc, setups, invoiced_slot)
    assert await stored(svc, batched) == await stored(svc, one_by_one)
    assert await stored(svc, batched) == await stored(svc, reference)
    results = await batch(svc, *(check_request(batched, c) for c in checks))
    for index, (c, result) in enumerate(zip(checks, results, strict=True)):
        single = check_request(one_by_one, c)
        try:
            answer = await svc.settlements.CheckCredit(single)
        except grpc.aio.AioRpcError as exc:
            assert result.WhichOneof("result") == "error", (index, exc.details())
            assert (result.error.code, result.error.message) == (exc.code().name, exc.details())
            continue
        assert result.WhichOneof("result") == "decision", (index, result.error)
        assert logical(batched, result.decision) == logical(one_by_one, answer), index
        then = decision_pb(await reference_check(svc, *reference_input(reference, c)), "RUB")
        assert logical(batched, result.decision) == logical(reference, then), index
    assert await stored(svc, batched) == await stored(svc, one_by_one)
    assert await stored(svc, batched) == await stored(svc, reference)
