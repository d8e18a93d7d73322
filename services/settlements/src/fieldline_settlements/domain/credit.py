"""Credit checks judged in order, as a batch: one read, then each check in memory.

A batch of checks reads what they need once (the clients' open documents, their reservations,
the batch's orders' reservations and invoices) and then judges the checks one after the other
exactly as separate checks would be judged in one transaction: the `ReservationBook` carries
the reservations each check places or releases to the checks after it, so a later order of a
client is judged with the earlier ones' reservations, and checking the same order again
replaces its reservation. What the book changed comes out at the end as three sets of writes
(purge the expired reservations of some clients, put reservations, release reservations).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from fieldline_settlements.domain.account import Reservation
from fieldline_settlements.domain.ledger import LedgerFigures, days_past_due
from fieldline_settlements.domain.policy import (
    SMALLEST_ORDER,
    Actor,
    CreditFigures,
    DebtPolicy,
    Decision,
    Stage,
    StageStanding,
    evaluate,
    standing,
)
from fieldline_settlements.domain.values import ZERO


@dataclass(frozen=True)
class CreditCheck:
    """One valid check of a batch."""

    order_id: str
    client_id: str
    amount: Decimal
    stage: Stage
    actor: Actor
    as_of: date


@dataclass(frozen=True)
class ClientDebt:
    """A client's open documents, as much of them as the figures of any `as_of` up to the
    batch's latest one need.

    `overdue_by_due`: the open amounts of the client's open invoices (positive amounts) due
    before that latest `as_of`, summed per due date; a check as of an earlier day counts the
    ones due before its own day.
    """

    open_total: Decimal  # Σ open amounts (invoices and credit notes)
    open_invoices: int  # invoices with an open amount > 0
    unallocated: Decimal  # Σ unallocated payments (advances)
    overdue_by_due: tuple[tuple[date, Decimal], ...] = ()

    def figures(self, as_of: date) -> LedgerFigures:
        """`ClientLedger.figures(as_of)` for the client, from these sums."""
        overdue = ZERO
        oldest: date | None = None
        for due, open_amount in self.overdue_by_due:
            if due < as_of:
                overdue += open_amount
                if oldest is None or due < oldest:
                    oldest = due
        return LedgerFigures(
            balance=self.open_total - self.unallocated,
            overdue=overdue,
            max_overdue_days=days_past_due(oldest, as_of) if oldest is not None else 0,
            open_invoices=self.open_invoices,
        )


NO_DEBT = ClientDebt(ZERO, 0, ZERO)


@dataclass(frozen=True)
class OtherReservations:
    """A client's reservations of orders outside the batch: Σ active, number expired."""

    active: Decimal = ZERO
    expired: int = 0


@dataclass(frozen=True)
class BookChanges:
    """The writes that bring the stored reservations to the book's state."""

    purge_clients: tuple[str, ...]  # delete these clients' expired reservations first
    put: tuple[Reservation, ...]  # then upsert these (one per order, sorted by order id)
    release: tuple[str, ...]  # and delete the reservations of these orders


class ReservationBook:
    """The reservations the checks of a batch read and write, carried from check to check.

    Holds the reservations of the batch's orders (of whichever client) one by one and, per
    client, the total of its other active reservations and the number of its expired ones.
    The database is not touched until the end: `changes()` says what to write.
    """

    def __init__(
        self,
        now: datetime,
        held: Iterable[Reservation],
        others: Mapping[str, OtherReservations],
        invoiced: Iterable[str],
    ) -> None:
        self._now = now
        self._original = {r.order_id: r for r in held}
        self._rows = dict(self._original)
        self._others = dict(others)
        self._invoiced = frozenset(invoiced)
        self._purged: set[str] = set()
        # Per client, over `_rows`: Σ active amounts and number of expired reservations.
        self._active: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self._expired: dict[str, int] = defaultdict(int)
        for r in self._rows.values():
            self._count(r, +1)

    def _count(self, r: Reservation, sign: int) -> None:
        if r.active(self._now):
            self._active[r.client_id] += sign * r.amount
        else:
            self._expired[r.client_id] += sign

    def reserved(self, client_id: str, except_order: str) -> Decimal:
        """Σ the client's active reservations but the order's own."""
        total = self._others.get(client_id, OtherReservations()).active
        total += self._active.get(client_id, ZERO)
        own = self._rows.get(except_order)
        if own is not None and own.client_id == client_id and own.active(self._now):
            total -= own.amount
        return total

    def expired(self, client_id: str) -> int:
        return self._others.get(client_id, OtherReservations()).expired + self._expired.get(
            client_id, 0
        )

    def purge_expired(self, client_id: str) -> None:
        """Drop the client's expired reservations (done by a check that finds some)."""
        self._purged.add(client_id)
        other = self._others.get(client_id)
        if other is not None:
            self._others[client_id] = OtherReservations(other.active, 0)
        for order_id, r in list(self._rows.items()):
            if r.client_id == client_id and not r.active(self._now):
                del self._rows[order_id]
                self._count(r, -1)

    def holds(self, order_id: str) -> bool:
        return order_id in self._rows

    def invoiced(self, order_id: str) -> bool:
        """An invoice was booked for the order (or under its id): it reserves nothing."""
        return order_id in self._invoiced

    def place(self, r: Reservation) -> None:
        """The order's reservation, in place of any it had."""
        self.release(r.order_id)
        self._rows[r.order_id] = r
        self._count(r, +1)

    def release(self, order_id: str) -> bool:
        r = self._rows.pop(order_id, None)
        if r is None:
            return False
        self._count(r, -1)
        return True

    def changes(self) -> BookChanges:
        put: list[Reservation] = []
        release: list[str] = []
        for order_id in sorted(self._original.keys() | self._rows.keys()):
            now_held = self._rows.get(order_id)
            stored = self._original.get(order_id)
            if (
                stored is not None
                and not stored.active(self._now)
                and stored.client_id in self._purged
            ):
                stored = None  # the purge deletes it
            if now_held is not None and now_held is not stored:
                put.append(now_held)
            elif now_held is None and stored is not None:
                release.append(order_id)
        return BookChanges(tuple(sorted(self._purged)), tuple(put), tuple(release))


def judge_in_order(
    checks: Sequence[CreditCheck],
    *,
    credit_limits: Mapping[str, Decimal | None],
    policies: Mapping[str, DebtPolicy],
    debts: Mapping[str, ClientDebt],
    book: ReservationBook,
    now: datetime,
    reservation_hours: float,
    currency: str,
) -> list[Decision]:
    """Judge the checks one after the other, each with the reservations of the ones before.

    Per check, as a single check does: a client with expired reservations has them purged;
    the decision is `evaluate` on the client's figures as of the check's day, its other
    orders' active reservations and its credit limit; unless the outcome is BLOCK (or the
    order is already invoiced) the order's amount is reserved in place of what it held,
    otherwise the order's reservation is released.
    """
    decisions: list[Decision] = []
    figures_of: dict[tuple[str, date], LedgerFigures] = {}
    for check in checks:
        client_id, order_id = check.client_id, check.order_id
        if book.expired(client_id):
            book.purge_expired(client_id)
        key = (client_id, check.as_of)
        ledger = figures_of.get(key)
        if ledger is None:
            ledger = figures_of[key] = debts.get(client_id, NO_DEBT).figures(check.as_of)
        policy = policies[client_id]
        decision = evaluate(
            policy,
            check.stage,
            CreditFigures(
                balance=ledger.balance,
                reserved=book.reserved(client_id, order_id),
                order_amount=check.amount,
                credit_limit=credit_limits.get(client_id),
                overdue=ledger.overdue,
                max_overdue_days=ledger.max_overdue_days,
                overdue_threshold_days=policy.max_overdue_days,
            ),
            check.actor,
            currency,
        )
        if decision.reserves and not book.invoiced(order_id):
            book.place(
                Reservation.create(
                    order_id, client_id, check.amount, check.stage.value, now, reservation_hours
                )
            )
        else:
            book.release(order_id)
        decisions.append(decision)
    return decisions


@dataclass(frozen=True)
class CreditStanding:
    """What the client's debt policy decides now on an order of the client, at every stage
    (`policy.standing`), and the figures it is decided on (the smallest order's)."""

    client_id: str
    as_of: date
    figures: CreditFigures
    policy: DebtPolicy
    is_default_policy: bool
    stages: tuple[StageStanding, ...]
    # The client's standing version it is published at, or was read at (0: never judged).
    version: int = 0

    @property
    def decisions(self) -> str:
        """The decisions alone, as text: per stage its outcome and the codes of its reasons
        (not the figures, nor the headroom, which move with every booking). A standing
        changes when this does."""
        return ";".join(
            f"{s.stage.value}:{s.decision.outcome.value}:"
            + ",".join(r.code.value for r in s.decision.reasons)
            for s in self.stages
        )


def credit_standing(
    client_id: str,
    *,
    ledger: LedgerFigures,
    reserved: Decimal,
    credit_limit: Decimal | None,
    policy: DebtPolicy,
    is_default_policy: bool,
    as_of: date,
    currency: str,
) -> CreditStanding:
    """The client's standing as of `as_of` (`ledger`: its figures as of that day), its active
    reservations `reserved`: exactly the figures a check of an order of the client would be
    judged on then."""
    figures = CreditFigures(
        balance=ledger.balance,
        reserved=reserved,
        order_amount=SMALLEST_ORDER,
        credit_limit=credit_limit,
        overdue=ledger.overdue,
        max_overdue_days=ledger.max_overdue_days,
        overdue_threshold_days=policy.max_overdue_days,
    )
    return CreditStanding(
        client_id, as_of, figures, policy, is_default_policy, standing(policy, figures, currency)
    )
