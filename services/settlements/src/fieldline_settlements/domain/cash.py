"""Cash on hand and its handover.

A CASH payment is *on hand* with its collector (`collected_by`) until a handover covers it:

    cash_on_hand(e) = Σ amount of CASH payments collected_by e with handover_id = ''

Who receives the cash (a supervisor for its team, an administrator, a cashier's system) records
the **handover**: the payments it names, or every payment on hand when it names none; each
named must be a CASH payment of that employee still on hand. `expected` = Σ covered amounts,
`difference` = counted − expected (negative: cash missing). A payment is covered by one
handover at most. `CashOnHand` is the employee's running figure, kept in the transaction of
each cash payment and each handover; its `version` orders its CashOnHandChanged events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from fieldline_kit.errors import AlreadyExists, InvalidArgument, NotFound
from fieldline_settlements.domain.events import CashHandedOver, CashOnHandChanged, Event
from fieldline_settlements.domain.ledger import Payment
from fieldline_settlements.domain.values import (
    ZERO,
    amount,
    document_id,
    fmt,
    limit_text,
    require_id,
)

MAX_EMPLOYEE_ID = 64


def employee_id(field_: str, value: str) -> str:
    """Who collects cash: a subject of up to 64 characters (an employee id), required."""
    found = limit_text(field_, value, MAX_EMPLOYEE_ID)
    if not found:
        raise InvalidArgument(field_, "is required")
    return found


@dataclass(eq=False)
class CashOnHand:
    """The cash an employee holds; `version` 0: it never held any."""

    employee_id: str
    total: Decimal = ZERO
    version: int = 0
    events: list[Event] = field(default_factory=list, repr=False)

    def collected(self, payment: Payment) -> None:
        """A cash payment the employee collected was booked."""
        self._moved(payment.amount)

    def handed_over(self, handover: CashHandover) -> None:
        """A handover took its covered payments off the employee's hands."""
        self._moved(-handover.expected)

    def _moved(self, by: Decimal) -> None:
        if by == 0:
            return
        self.total += by
        self.version += 1
        self.events.append(CashOnHandChanged(self.employee_id, self.total, self.version))


@dataclass(eq=False)
class CashHandover:
    id: str
    employee_id: str
    date: date
    counted: Decimal
    payment_ids: tuple[str, ...]
    expected: Decimal
    received_by: str
    created_at: datetime
    version: int = 1
    events: list[Event] = field(default_factory=list, repr=False)

    @property
    def difference(self) -> Decimal:
        return self.counted - self.expected

    def same_handover(self, other: HandoverRequest) -> bool:
        """True when `other` (a re-sent create) describes this very handover: the same
        employee, date and count, and the same payments when it names any."""
        return (
            self.employee_id == other.employee_id
            and self.date == other.date
            and self.counted == other.counted
            and (not other.payment_ids or set(other.payment_ids) == set(self.payment_ids))
        )


@dataclass(frozen=True)
class HandoverRequest:
    """A handover as asked, checked for form (`request`)."""

    id: str
    employee_id: str
    date: date
    counted: Decimal
    payment_ids: tuple[str, ...]


def request(
    id: str, employee: str, on: date, counted: Decimal, payment_ids: Sequence[str]
) -> HandoverRequest:
    """The handover's form: ids, a count that is not negative, no payment named twice."""
    seen: dict[str, int] = {}
    ids = []
    for i, p in enumerate(payment_ids):
        where = f"handover.payment_ids[{i}]"
        pid = document_id(where, p)  # as payments' ids are stored: a UUID normalised, or a key
        if pid in seen:
            raise InvalidArgument(where, f"names {pid!r} twice (as payment_ids[{seen[pid]}])")
        seen[pid] = i
        ids.append(pid)
    return HandoverRequest(
        id=require_id("handover.id", id),
        employee_id=employee_id("handover.employee_id", employee),
        date=on,
        counted=amount("handover.counted", counted),
        payment_ids=tuple(ids),
    )


def hand_over(
    asked: HandoverRequest,
    found: dict[str, Payment],
    on_hand: Sequence[Payment],
    *,
    received_by: str,
    now: datetime,
) -> CashHandover:
    """The handover of `asked`: the payments it names (`found`: those that exist, by id), or
    every payment of `on_hand` (the employee's, as read under its cash-on-hand lock) when it
    names none. Each named must be a CASH payment of the employee not yet handed over."""
    if asked.payment_ids:
        covered = []
        for i, pid in enumerate(asked.payment_ids):
            where = f"handover.payment_ids[{i}]"
            payment = found.get(pid)
            if payment is None:
                raise NotFound("payment", pid, where)
            if payment.collected_by != asked.employee_id:
                raise InvalidArgument(
                    where, f"payment {pid} was not collected by {asked.employee_id}"
                )
            if not payment.on_hand:
                problem = (
                    f"was already handed over (handover {payment.handover_id})"
                    if payment.handover_id
                    else "is not a cash payment"
                )
                raise InvalidArgument(where, f"payment {pid} {problem}")
            covered.append(payment)
    else:
        covered = [p for p in on_hand if p.on_hand and p.collected_by == asked.employee_id]
    expected = sum((p.amount for p in covered), ZERO)
    if not covered and asked.counted == 0:
        raise InvalidArgument(
            "handover.counted",
            f"{asked.employee_id} has no cash on hand and nothing was counted: "
            "nothing to hand over",
        )
    handover = CashHandover(
        id=asked.id,
        employee_id=asked.employee_id,
        date=asked.date,
        counted=asked.counted,
        payment_ids=tuple(p.id for p in covered),
        expected=expected,
        received_by=received_by,
        created_at=now,
    )
    handover.events.append(CashHandedOver(handover))
    return handover


def unknown_employee(employee: str) -> NotFound:
    """An employee outside the caller's scope: as one settlements never heard of."""
    return NotFound("employee", employee, "employee_id")


def already_exists(existing: CashHandover) -> AlreadyExists:
    return AlreadyExists(
        f"handover.id: handover {existing.id!r} already exists ({existing.employee_id}, "
        f"{fmt(existing.counted)} counted on {existing.date.isoformat()}) with other data"
    )
