"""The credit re-check: orders the fallback held, judged again once settlements answers.

With `ORDERS_CREDIT_CHECK_FALLBACK=block`, an order submitted while settlements cannot be
reached goes on CREDIT_HOLD with the reason "settlements unavailable" (its decision has
`fallback`). A device retrying the call gets that answer back (idempotency), so without this
nothing would judge the order again. `RecheckHeldOrders` does, a batch at a time, in the three
steps of a SubmitOrder batch (no transaction is open while settlements is asked):

1. **read** (a read transaction): up to `batch_size` orders held for unavailability, oldest
   first, after the last one of the previous batch of the pass;
2. **credit** (`CreditChecker.check_many`: one CheckCreditBatch): each order as a submission of
   its stored total, as of today — the rules of any submission, asked by orders itself (its
   service identity: there is no user, so no role and no override);
3. **write** (one unit of work): each order settlements judged, through
   `Order.recheck_after_outage` (released, or held by the policy with its reasons; the events
   go out through the outbox), if it is still at the version read in step 1. An order changed
   meanwhile (submitted again by its device, cancelled, re-checked by another replica) stays
   as that change left it; a change committed between this write's read and its UPDATE makes
   the UPDATE miss (Conflict), and the write runs once more without that order. Either way
   exactly one of the two changes is applied. A decision that let a lost order through had
   reserved credit in settlements: unless the order went through after all, that reservation
   is released (`CreditChecker.release`, best effort).

Settlements still unreachable (the call falls back again): nothing is written and the pass
ends; the caller waits longer before the next. A check settlements refuses leaves its order
held; the next pass asks again.

One replica at a time runs the passes: `take_turn` holds the job lease `credit-recheck`
(`uow.leases`) until `lease` from now, renewed before every batch; `step_down` frees it. Two
replicas re-checking the same order would still be harmless: the version check above lets
only one of them write it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeAlias

from fieldline_kit.errors import Conflict, DomainError
from fieldline_kit.logging import get_logger
from fieldline_orders.adapters.repository import OrdersUnitOfWork
from fieldline_orders.domain.orders import (
    CreditChecker,
    CreditDecision,
    CreditRequest,
    Order,
    OrderStatus,
)

log = get_logger("fieldline.orders.recheck")

JOB = "credit-recheck"
# Where a pass goes on from: the (created_at, id) of the last order of the previous batch.
HeldKey: TypeAlias = tuple[datetime, str]
# A decision that passes reserved credit for the order; an order in one of these states after
# a concurrent change will not be placed (or is held), so that reservation goes.
NOT_PLACED = frozenset({OrderStatus.CREDIT_HOLD, OrderStatus.CANCELLED})


@dataclass
class RecheckTally:
    """What re-checking did (a batch, or a pass: the sum of its batches)."""

    checked: int = 0  # orders settlements was asked about
    released: int = 0  # now SUBMITTED
    held: int = 0  # still held, now by the debt policy
    changed_meanwhile: int = 0  # left as a concurrent change made them
    refused: int = 0  # checks settlements refused: still held, asked again next pass
    unavailable: bool = False  # settlements could not be asked: nothing changed

    def add(self, other: RecheckTally) -> None:
        self.checked += other.checked
        self.released += other.released
        self.held += other.held
        self.changed_meanwhile += other.changed_meanwhile
        self.refused += other.refused
        self.unavailable = self.unavailable or other.unavailable


class RecheckHeldOrders:
    def __init__(
        self,
        *,
        credit: CreditChecker,
        uow: Callable[[], OrdersUnitOfWork],
        read_uow: Callable[[], OrdersUnitOfWork],
        clock: Callable[[], datetime],
        today: Callable[[], date],
        batch_size: int,
        holder: str,
        lease: timedelta,
    ) -> None:
        self._credit = credit
        self._uow = uow
        self._read_uow = read_uow
        self._clock = clock
        self._today = today
        self.batch_size = batch_size
        self.holder = holder  # this replica, in the job lease
        self._lease = lease

    # -- the job lease -------------------------------------------------------------------------
    async def take_turn(self) -> bool:
        """Hold (or renew) the job lease; False while another replica holds it."""
        now = self._clock()
        async with self._uow() as uow:
            mine = await uow.leases.take(JOB, self.holder, now=now, until=now + self._lease)
            await uow.commit()
        return mine

    async def step_down(self) -> None:
        """Free the job lease (a stopping replica): another may take it at once."""
        async with self._uow() as uow:
            await uow.leases.release(JOB, self.holder, now=self._clock())
            await uow.commit()

    # -- passes and batches --------------------------------------------------------------------
    async def run_pass(self) -> RecheckTally:
        """Every order held for unavailability, a batch at a time, while this replica holds
        the job and settlements answers."""
        total = RecheckTally()
        after: HeldKey | None = None
        while await self.take_turn():
            tally, after = await self.batch(after)
            total.add(tally)
            if tally.unavailable or after is None:
                break
        return total

    async def batch(self, after: HeldKey | None = None) -> tuple[RecheckTally, HeldKey | None]:
        """One batch after `after`: what it did, and where the next batch starts (None: this
        was the last, or settlements is unavailable)."""
        tally = RecheckTally()
        async with self._read_uow() as uow:
            held = await uow.orders.held_for_unavailability(after=after, limit=self.batch_size)
        if not held:
            return tally, None
        last = held[-1]
        following = (last.created_at, last.id) if len(held) == self.batch_size else None
        tally.checked = len(held)
        today = self._today()
        try:
            answers = await self._credit.check_many([_request(o, today) for o in held])
        except DomainError as exc:  # the call failed without a fallback: not a decision
            log.warning("credit re-check call failed", error=str(exc), orders=len(held))
            tally.unavailable = True
            return tally, None
        decisions: dict[str, CreditDecision] = {}
        for order, answer in zip(held, answers, strict=True):
            if isinstance(answer, DomainError):
                tally.refused += 1
                log.warning("credit re-check refused", order_id=order.id, error=str(answer))
            elif answer.fallback:  # a fallback applies to the whole call
                tally.unavailable = True
                return tally, None
            else:
                decisions[order.id] = answer
        if decisions:
            seen = {o.id: o.version for o in held if o.id in decisions}
            await self._write(seen, decisions, tally)
        return tally, following

    async def _write(
        self, seen: Mapping[str, int], decisions: Mapping[str, CreditDecision], tally: RecheckTally
    ) -> None:
        try:
            applied, lost = await self._write_once(seen, decisions)
        except Conflict:  # an order changed between this write's read and its UPDATE
            try:
                applied, lost = await self._write_once(seen, decisions)
            except Conflict:
                log.info("credit re-check raced concurrent changes; next pass", orders=len(seen))
                tally.changed_meanwhile += len(seen)
                return
        for order in applied:
            if order.status is OrderStatus.SUBMITTED:
                tally.released += 1
            else:
                tally.held += 1
        tally.changed_meanwhile += len(lost)
        for order_id, status in lost.items():
            if decisions[order_id].passes and status in NOT_PLACED:
                await self._credit.release(order_id)
        if applied:
            log.info(
                "held orders re-checked",
                released=[o.id for o in applied if o.status is OrderStatus.SUBMITTED],
                held=[o.id for o in applied if o.status is OrderStatus.CREDIT_HOLD],
            )

    async def _write_once(
        self, seen: Mapping[str, int], decisions: Mapping[str, CreditDecision]
    ) -> tuple[list[Order], dict[str, OrderStatus]]:
        """The orders re-checked, and the status of those a concurrent change got first."""
        applied: list[Order] = []
        lost: dict[str, OrderStatus] = {}
        now = self._clock()
        async with self._uow() as uow:
            for order_id, version in seen.items():
                current = await uow.orders.find(order_id)
                if current is None:  # orders are never deleted
                    continue
                if current.version != version:
                    lost[order_id] = current.status
                elif current.recheck_after_outage(decisions[order_id], now):
                    await uow.orders.save(current)
                    applied.append(current)
            await uow.commit()
        return applied, lost


def _request(order: Order, today: date) -> CreditRequest:
    """The check of a held order: as a submission of its stored total, with no user."""
    return CreditRequest.as_it_stands(order, today)
