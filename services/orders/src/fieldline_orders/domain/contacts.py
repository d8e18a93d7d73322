"""Visits named by documents, and the productive-contact figures (`ContactSales`).

An order, a van sale or a return may name the visit (clients' check-in) it was taken in. When
orders knows the visit (its feed, `feed_visits`, from clients' VisitStarted / VisitCompleted /
VisitMissed), the document must match it (`check_visit`):

    at another outlet     INVALID_ARGUMENT visit_id: visit V is at outlet O2, not O1
    another employee's    INVALID_ARGUMENT visit_id: visit V is another employee's
    MISSED                FAILED_PRECONDITION visit_id: visit V was MISSED

An unknown visit is accepted: the feed brings the check-in about a second after the device
uploaded it, and a device offline all day uploads everything at once; refusing would lose
orders. When the visit arrives later and does not match, its contact is `mismatched`.

`ContactSales` (one per visit) is recomputed, never incremented, from every document naming
the visit, whenever one of them changes and whenever the visit's event arrives (`judge`):

    orders       pre-sale orders neither CANCELLED nor on CREDIT_HOLD (REJECTED ones count: the
                 call was productive, the fulfilment failure is the fill rate's business)
    van_sales    van sales
    returns      returns
    lines        lines of the orders and van sales counted
    gross_total  their gross (returns are not deducted), in their currency
    mismatched   a document at another outlet than the visit's, an order or sale by another
                 employee than the visit's agent (a return: the outlet only), the visit MISSED;
                 before the visit is known: documents disagreeing among themselves; documents
                 counted in different currencies
    productive   not mismatched, at least one order or sale counted, gross_total >= minimum

The minimum in force (ORDERS_PRODUCTIVE_MINIMUM) is kept on the row with the judgement, so a
later change of the setting does not rewrite history.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from fieldline_kit.errors import FailedPrecondition, InvalidArgument
from fieldline_orders.domain.feed import VisitState
from fieldline_orders.domain.values import ZERO, round_money

# ORDERS_PRODUCTIVE_MINIMUM's default: any order or sale makes the contact productive.
DEFAULT_PRODUCTIVE_MINIMUM = Decimal("0.01")


def productive_minimum(value: str) -> Decimal:
    """ORDERS_PRODUCTIVE_MINIMUM: an amount of money (>= 0, at most 2 decimals)."""
    try:
        amount = Decimal((value or "").strip())
    except ArithmeticError:
        raise ValueError(f"must be an amount of money, got {value!r}") from None
    if not amount.is_finite() or amount < 0 or amount != round_money(amount):
        raise ValueError(f"must be an amount >= 0 with at most 2 decimals, got {value!r}")
    return round_money(amount)


def check_visit(visit: VisitState | None, visit_id: str, outlet_id: str, employee_id: str) -> None:
    """A document naming `visit_id` at `outlet_id` by `employee_id` ("": no employee to
    compare, a service acting for no one): refused if the known visit does not match it."""
    if visit is None:
        return  # not known yet: accepted, judged when its event arrives
    if visit.outlet_id != outlet_id:
        raise InvalidArgument(
            "visit_id", f"visit {visit_id} is at outlet {visit.outlet_id}, not {outlet_id}"
        )
    if employee_id and visit.agent_id != employee_id:
        raise InvalidArgument("visit_id", f"visit {visit_id} is another employee's")
    if visit.missed:
        raise FailedPrecondition(f"visit_id: visit {visit_id} was MISSED")


class DocumentKind(enum.Enum):
    ORDER = "order"  # a pre-sale order
    VAN_SALE = "van_sale"
    RETURN = "return"


@dataclass(frozen=True)
class ContactDocument:
    """A document naming a contact, as far as its figures go."""

    kind: DocumentKind
    id: str
    employee_id: str  # the order's agent; a return: who accepted it
    outlet_id: str
    day: date
    counted: bool  # an order neither CANCELLED nor on CREDIT_HOLD; every sale and return
    lines: int
    gross: Decimal
    currency: str


class ContactKind(enum.Enum):
    VISIT = "visit"


@dataclass(frozen=True)
class ContactSales:
    contact_id: str
    kind: ContactKind
    employee_id: str
    outlet_id: str
    day: date
    orders: int
    van_sales: int
    returns: int
    lines: int
    gross_total: Decimal
    currency: str
    mismatched: bool
    productive: bool
    minimum: Decimal
    order_ids: tuple[str, ...]
    return_ids: tuple[str, ...]
    version: int = 0
    updated_at: datetime | None = None

    def figures(self) -> tuple[object, ...]:
        """Everything but the version and time: what a recomputation may change."""
        return (
            self.kind,
            self.employee_id,
            self.outlet_id,
            self.day,
            self.orders,
            self.van_sales,
            self.returns,
            self.lines,
            self.gross_total,
            self.currency,
            self.mismatched,
            self.productive,
            self.minimum,
            self.order_ids,
            self.return_ids,
        )


def judge(
    contact_id: str,
    visit: VisitState | None,
    documents: Sequence[ContactDocument],
    minimum: Decimal,
) -> ContactSales | None:
    """The contact's figures from the documents naming it (None: no document and no row to
    keep: nothing names the visit)."""
    if not documents:
        return None
    ordered = sorted(documents, key=lambda d: (d.day, d.kind is DocumentKind.RETURN, d.id))
    sales = [d for d in ordered if d.kind is not DocumentKind.RETURN and d.counted]
    returns = [d for d in ordered if d.kind is DocumentKind.RETURN]
    first = ordered[0]
    employee = visit.agent_id if visit else first.employee_id
    outlet = visit.outlet_id if visit else first.outlet_id
    day = visit.day if visit else first.day
    currencies = {d.currency for d in sales}
    mismatched = (
        (visit is not None and visit.missed)
        or any(d.outlet_id != outlet for d in ordered)
        or any(d.employee_id != employee for d in ordered if d.kind is not DocumentKind.RETURN)
        or len(currencies) > 1
    )
    gross = sum((d.gross for d in sales), ZERO)
    return ContactSales(
        contact_id=contact_id,
        kind=ContactKind.VISIT,
        employee_id=employee,
        outlet_id=outlet,
        day=day,
        orders=sum(1 for d in sales if d.kind is DocumentKind.ORDER),
        van_sales=sum(1 for d in sales if d.kind is DocumentKind.VAN_SALE),
        returns=len(returns),
        lines=sum(d.lines for d in sales),
        gross_total=gross,
        currency=sales[0].currency if sales else "",
        mismatched=mismatched,
        productive=not mismatched and bool(sales) and gross >= minimum,
        minimum=minimum,
        order_ids=tuple(sorted(d.id for d in sales)),
        return_ids=tuple(sorted(d.id for d in returns)),
    )


def changed(
    stored: ContactSales | None, new: ContactSales | None, now: datetime
) -> ContactSales | None:
    """The row to write (the next version, with its event), or None when nothing changed."""
    if new is None:
        return None
    if stored is not None and stored.figures() == new.figures():
        return None
    return replace(new, version=(stored.version if stored else 0) + 1, updated_at=now)
