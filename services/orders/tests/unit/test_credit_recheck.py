"""The credit re-check on fakes: orders the fallback held, judged again once settlements answers.

`RecheckHeldOrders` on the fake unit of work with an in-memory settlements; the loop that runs
it (`CreditRecheckJob`) with its waits recorded. Over gRPC with a real settlements:
tests/integration/test_credit_recheck.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from fieldline_kit.errors import DomainError, InvalidArgument
from fieldline_orders.domain.events import OrderHeld, OrderSubmitted
from fieldline_orders.domain.orders import (
    RECHECK_ACTOR,
    RECHECK_REASON,
    SETTLEMENTS_UNAVAILABLE,
    CreditDecision,
    CreditOutcome,
    CreditRequest,
    Order,
    OrderStatus,
    Stage,
)
from fieldline_orders.entrypoints.credit_recheck import CreditRecheckJob
from fieldline_orders.service_layer.recheck import RecheckHeldOrders, RecheckTally

from .fakes import FakeOrders, FakeOrdersUnitOfWork
from .orders_factories import ALLOW, BLOCK, DAY, NOW, priced_order

FALLBACK = CreditDecision.fallback_for("block", NOW)
LATER = NOW + timedelta(minutes=5)
LEASE = timedelta(seconds=30)


class Settlements:
    """`check_many` as settlements answers: an outcome per client (ALLOW by default), a refusal
    for some orders, or the fallback while it is unreachable."""

    def __init__(self) -> None:
        self.outcomes: dict[str, CreditOutcome] = {}
        self.refused: set[str] = set()
        self.unreachable = False
        self.asked: list[list[CreditRequest]] = []
        self.released: list[str] = []
        # Runs while settlements is being asked (a concurrent change, between read and write).
        self.meanwhile: Callable[[], Awaitable[None]] | None = None

    async def check_many(
        self, requests: Sequence[CreditRequest]
    ) -> list[CreditDecision | DomainError]:
        self.asked.append(list(requests))
        if self.meanwhile is not None:
            await self.meanwhile()
        if self.unreachable:
            return [FALLBACK] * len(requests)
        out: list[CreditDecision | DomainError] = []
        for r in requests:
            outcome = self.outcomes.get(r.client_id, CreditOutcome.ALLOW)
            if r.order_id in self.refused:
                out.append(InvalidArgument("amount", "must be RUB"))
            elif outcome is CreditOutcome.BLOCK:
                out.append(replace(BLOCK, decided_at=LATER))
            else:
                reasons = ("over the limit by 5",) if outcome is CreditOutcome.WARN else ()
                out.append(CreditDecision(outcome, reasons, decided_at=LATER))
        return out

    async def release(self, order_id: str, actor_token: str = "") -> bool:
        assert actor_token == ""  # the re-check has no user: orders releases as itself
        self.released.append(order_id)
        return True


class StaleOrders(FakeOrders):
    """`find` gives an order as it was before a concurrent change once (`uow.stale`): that
    change commits between the re-check's read and its UPDATE, which then misses."""

    async def find(self, *key: Any, for_update: bool = False) -> Order | None:
        stale: dict[str, Order] = self._uow.stale  # type: ignore[attr-defined]
        before = stale.pop(key[0], None)
        if before is not None:
            return self.loaded(before)
        return await super().find(*key, for_update=for_update)


class RacedUnitOfWork(FakeOrdersUnitOfWork):
    def __init__(self, **kw: Any) -> None:
        self.stale: dict[str, Order] = {}
        super().__init__(**kw)

    def _attach(self) -> None:
        super()._attach()
        self.orders = StaleOrders(self)


class World:
    def __init__(self, uow: FakeOrdersUnitOfWork | None = None) -> None:
        self.uow = uow or FakeOrdersUnitOfWork(clock=lambda: LATER)
        self.settlements = Settlements()
        self.now = LATER
        self.recheck = self.replica("replica-a")

    def replica(self, holder: str, batch_size: int = 64) -> RecheckHeldOrders:
        return RecheckHeldOrders(
            credit=self.settlements,  # type: ignore[arg-type]
            uow=lambda: self.uow,
            read_uow=lambda: self.uow,
            clock=lambda: self.now,
            today=lambda: DAY,
            batch_size=batch_size,
            holder=holder,
            lease=LEASE,
        )

    def held(self, decision: CreditDecision = FALLBACK, *, minutes: int = 0) -> Order:
        """An order submitted `minutes` after NOW and stored as the submission left it."""
        order = priced_order(decision)
        order = replace(order, created_at=NOW + timedelta(minutes=minutes), events=[])
        self.uow.orders.put(order)
        return order

    def stored(self, order: Order) -> Order:
        return self.uow.orders.rows[(order.id,)]

    def history(self, order: Order) -> list[tuple[OrderStatus, str, str]]:
        return [(h.status, h.reason, h.reported_by) for h in self.uow.orders.history[order.id]]


@pytest.fixture
def w() -> World:
    return World()


# -------------------------------------------------------------------------------- domain
def test_only_an_order_the_fallback_held_is_held_for_unavailability() -> None:
    assert priced_order(FALLBACK).held_for_unavailability
    assert not priced_order(BLOCK).held_for_unavailability  # held by the debt policy
    allowed = priced_order(CreditDecision.fallback_for("allow", NOW))  # `allow`: not held
    assert allowed.status is OrderStatus.SUBMITTED and not allowed.held_for_unavailability


def test_a_decision_of_settlements_releases_or_keeps_holding_and_says_why() -> None:
    released = priced_order(FALLBACK)
    assert released.recheck_after_outage(ALLOW, LATER)
    assert (released.status, released.credit, released.version) == (
        OrderStatus.SUBMITTED,
        ALLOW,
        2,
    )
    assert [type(e) for e in released.events] == [OrderHeld, OrderSubmitted]
    assert released.new_history[-1].reason == RECHECK_REASON
    assert released.new_history[-1].reported_by == RECHECK_ACTOR

    blocked = priced_order(FALLBACK)
    assert blocked.recheck_after_outage(BLOCK, LATER)
    assert (blocked.status, blocked.credit.reasons) == (OrderStatus.CREDIT_HOLD, BLOCK.reasons)
    assert not blocked.held_for_unavailability  # held by the policy now: not re-checked again
    assert blocked.new_history[-1].status is OrderStatus.CREDIT_HOLD


def test_nothing_changes_for_another_fallback_or_an_order_not_held_for_unavailability() -> None:
    held = priced_order(FALLBACK)
    assert not held.recheck_after_outage(FALLBACK, LATER)
    by_policy = priced_order(BLOCK)
    assert not by_policy.recheck_after_outage(ALLOW, LATER)
    for order in (held, by_policy):
        assert (order.version, len(order.events)) == (1, 1)  # OrderHeld of the submission


# ---------------------------------------------------------------------------- use case
async def test_only_orders_the_fallback_held_are_checked_again(w: World) -> None:
    fallback = w.held()
    by_policy = w.held(BLOCK)
    passed_by_fallback = w.held(CreditDecision.fallback_for("allow", NOW))
    cancelled = priced_order(FALLBACK)
    cancelled.change_status(OrderStatus.CANCELLED, reported_by="x", now=NOW)
    w.uow.orders.put(replace(cancelled, events=[]))
    before = {o.id: w.stored(o) for o in (by_policy, passed_by_fallback, cancelled)}

    tally = await w.recheck.run_pass()

    assert [[r.order_id for r in batch] for batch in w.settlements.asked] == [[fallback.id]]
    assert (tally.checked, tally.released, tally.unavailable) == (1, 1, False)
    assert w.stored(fallback).status is OrderStatus.SUBMITTED
    assert {oid: w.stored(o) for oid, o in before.items()} == before  # untouched


async def test_the_check_is_a_submission_of_the_stored_total_with_no_user(w: World) -> None:
    """No user asks: orders does, as itself (no token of a user, so no role, no override)."""
    order = w.held()
    await w.recheck.run_pass()
    [[asked]] = w.settlements.asked
    assert asked == CreditRequest(
        order_id=order.id,
        client_id=order.client_id,
        amount=order.gross_total,
        currency_code="RUB",
        stage=Stage.ORDER_SUBMIT,
        actor_id="",
        override_reason="",
        as_of=DAY,
    )
    assert asked.actor_token == ""


async def test_allowed_and_warned_orders_are_released_and_published(w: World) -> None:
    allowed, warned = w.held(), w.held(minutes=1)
    w.uow.orders.put(replace(w.stored(warned), client_id="warned-client"))
    w.settlements.outcomes["warned-client"] = CreditOutcome.WARN

    tally = await w.recheck.run_pass()

    assert (tally.released, tally.held) == (2, 0)
    for order in (allowed, warned):
        stored = w.stored(order)
        assert (stored.status, stored.credit.fallback, stored.version) == (
            OrderStatus.SUBMITTED,
            False,
            2,
        )
        assert w.history(order)[-1] == (OrderStatus.SUBMITTED, RECHECK_REASON, RECHECK_ACTOR)
    assert w.stored(allowed).credit.outcome is CreditOutcome.ALLOW
    assert w.stored(warned).credit.outcome is CreditOutcome.WARN
    assert w.stored(warned).credit.reasons == ("over the limit by 5",)
    assert [(type(e), e.order.id) for e in w.uow.events] == [
        (OrderSubmitted, allowed.id),
        (OrderSubmitted, warned.id),
    ]


async def test_an_order_the_policy_blocks_stays_held_with_the_real_reasons(w: World) -> None:
    order = w.held()
    w.settlements.outcomes[order.client_id] = CreditOutcome.BLOCK

    tally = await w.recheck.run_pass()

    stored = w.stored(order)
    assert (tally.released, tally.held) == (0, 1)
    assert stored.status is OrderStatus.CREDIT_HOLD
    assert (stored.credit.reasons, stored.credit.fallback) == (BLOCK.reasons, False)
    assert SETTLEMENTS_UNAVAILABLE not in stored.credit.reasons
    assert w.history(order)[-1] == (OrderStatus.CREDIT_HOLD, RECHECK_REASON, RECHECK_ACTOR)
    [event] = w.uow.events
    assert isinstance(event, OrderHeld) and event.order.credit == stored.credit
    # Held by the policy now: the next pass leaves it alone (a payment, then a re-submit, or an
    # override releases it, as for any policy hold).
    await w.recheck.run_pass()
    assert len(w.settlements.asked) == 1


async def test_while_settlements_is_unavailable_nothing_changes(w: World) -> None:
    orders = [w.held(minutes=i) for i in range(3)]
    w.settlements.unreachable = True
    small = w.replica("replica-a", batch_size=2)

    tally = await small.run_pass()

    assert tally.unavailable and (tally.released, tally.held) == (0, 0)
    assert len(w.settlements.asked) == 1  # the pass ends at the first fallback
    assert [w.stored(o) for o in orders] == orders
    assert w.uow.events == []


async def test_batches_go_oldest_first_through_every_held_order(w: World) -> None:
    newest, oldest, middle = w.held(minutes=9), w.held(minutes=1), w.held(minutes=5)
    older, second = w.held(minutes=2), w.held(minutes=3)

    tally = await w.replica("replica-a", batch_size=2).run_pass()

    assert [[r.order_id for r in batch] for batch in w.settlements.asked] == [
        [oldest.id, older.id],
        [second.id, middle.id],
        [newest.id],
    ]
    assert tally.released == 5


async def test_a_refused_check_leaves_its_order_held_and_the_others_go_on(w: World) -> None:
    refused, fine = w.held(), w.held(minutes=1)
    w.settlements.refused.add(refused.id)

    tally = await w.recheck.run_pass()

    assert (tally.refused, tally.released) == (1, 1)
    assert w.stored(refused).held_for_unavailability
    assert w.stored(fine).status is OrderStatus.SUBMITTED


async def test_a_device_submitting_the_order_again_meanwhile_wins(w: World) -> None:
    order = w.held()

    async def resubmitted() -> None:  # the device's own re-check, committed first
        async def device(uow: FakeOrdersUnitOfWork) -> None:
            current = await uow.orders.get(order.id)
            current.recheck(BLOCK, NOW, current.agent_id)
            await uow.orders.save(current)

        await w.uow.run(device)

    w.settlements.meanwhile = resubmitted
    tally = await w.recheck.run_pass()

    stored = w.stored(order)
    assert (stored.status, stored.credit, stored.version) == (OrderStatus.CREDIT_HOLD, BLOCK, 2)
    assert tally.changed_meanwhile == 1 and (tally.released, tally.held) == (0, 0)
    assert [type(e) for e in w.uow.events] == [OrderHeld]  # the device's, and no other
    # The re-check's ALLOW reserved credit for an order that stays held: released again.
    assert w.settlements.released == [order.id]


async def test_a_change_that_lets_the_order_through_meanwhile_keeps_its_reservation(
    w: World,
) -> None:
    order = w.held()

    async def released_by_device() -> None:
        async def device(uow: FakeOrdersUnitOfWork) -> None:
            current = await uow.orders.get(order.id)
            current.recheck(ALLOW, NOW, current.agent_id)
            await uow.orders.save(current)

        await w.uow.run(device)

    w.settlements.meanwhile = released_by_device
    await w.recheck.run_pass()
    assert (w.stored(order).status, w.stored(order).version) == (OrderStatus.SUBMITTED, 2)
    assert len(w.uow.events) == 1 and w.settlements.released == []


async def test_a_change_committed_between_the_write_s_read_and_update_wins_cleanly() -> None:
    w = World(RacedUnitOfWork(clock=lambda: LATER))
    order = w.held()

    async def cancelled_just_before_the_update() -> None:
        async def cancel(uow: FakeOrdersUnitOfWork) -> None:
            current = await uow.orders.get(order.id)
            current.change_status(OrderStatus.CANCELLED, reported_by="supervisor", now=NOW)
            await uow.orders.save(current)

        await w.uow.run(cancel)
        # … but the re-check's write reads the order as it was before (see StaleOrders)
        assert isinstance(w.uow, RacedUnitOfWork)
        w.uow.stale[order.id] = replace(order, events=[])

    w.settlements.meanwhile = cancelled_just_before_the_update
    tally = await w.recheck.run_pass()

    # The first write missed (Conflict) and rolled back; the second left the order alone.
    stored = w.stored(order)
    assert (stored.status, stored.version) == (OrderStatus.CANCELLED, 2)
    assert tally.changed_meanwhile == 1 and tally.released == 0
    assert [type(e).__name__ for e in w.uow.events] == ["OrderStatusChanged"]
    assert w.settlements.released == [order.id]


async def test_two_replicas_never_write_one_order_twice(w: World) -> None:
    order = w.held()
    other = w.replica("replica-b")
    both_read = asyncio.Event()
    reading = 0

    async def wait_for_both() -> None:
        nonlocal reading
        reading += 1
        if reading == 2:
            both_read.set()
        await both_read.wait()

    w.settlements.meanwhile = wait_for_both
    results = await asyncio.gather(w.recheck.batch(), other.batch())  # no lease: both read

    assert sum(tally.released for tally, _ in results) == 1
    assert sum(tally.changed_meanwhile for tally, _ in results) == 1
    assert w.stored(order).version == 2
    assert [type(e) for e in w.uow.events] == [OrderSubmitted]


async def test_one_replica_at_a_time_holds_the_job(w: World) -> None:
    w.held()
    other = w.replica("replica-b")
    assert await w.recheck.take_turn()
    assert not await other.take_turn()
    assert (await other.run_pass()) == RecheckTally()  # does nothing, asks nobody
    assert w.settlements.asked == []

    w.now = LATER + LEASE  # replica A stopped renewing: its lease ran out
    assert await other.take_turn()
    assert not await w.recheck.take_turn()

    await other.step_down()  # a stopping replica frees the job at once
    assert await w.recheck.take_turn()


# ------------------------------------------------------------------------------- the loop
class Passes:
    """A stand-in for `RecheckHeldOrders` answering passes from a list."""

    def __init__(self, outcomes: list[RecheckTally | Exception]) -> None:
        self.outcomes = outcomes
        self.stepped_down = False

    async def run_pass(self) -> RecheckTally:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def step_down(self) -> None:
        self.stepped_down = True


async def test_the_loop_backs_off_while_settlements_is_unavailable() -> None:
    down, up = RecheckTally(unavailable=True), RecheckTally()
    passes = Passes([down, down, down, RuntimeError("database gone"), up, down])
    job = CreditRecheckJob(passes, period=1.0, longest_wait=4.0)  # type: ignore[arg-type]
    stop = asyncio.Event()
    waits: list[float] = []

    async def pause(_stop: asyncio.Event, seconds: float) -> None:
        waits.append(seconds)
        if not passes.outcomes:
            stop.set()

    job._pause = pause  # type: ignore[method-assignment]
    await job.run(stop)

    assert waits == [2.0, 4.0, 4.0, 4.0, 1.0, 2.0]
    assert passes.stepped_down


async def test_settlements_answering_again_ends_the_wait() -> None:
    job = CreditRecheckJob(Passes([]), period=1.0, longest_wait=4.0)  # type: ignore[arg-type]
    loop = asyncio.get_running_loop()
    started = loop.time()
    loop.call_later(0.05, job.wake)
    await job._pause(asyncio.Event(), 30.0)
    assert loop.time() - started < 5.0
