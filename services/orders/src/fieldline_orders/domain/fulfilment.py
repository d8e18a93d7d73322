"""The fulfilment report: ordered vs delivered, late and unfulfilled orders.

Only pre-sale orders that went to fulfilment count (CREDIT_HOLD orders never did).

* deadline = delivery date (else the order date) + `late_after_days`;
* late: not rejected or cancelled, and delivered after the deadline or still not delivered
  when the report runs after it (dates are the company's local dates);
* unfulfilled: rejected, cancelled, or late and still not delivered;
* fill rate = delivered / ordered base units, percent with 2 decimals (ROUND_HALF_UP).

Rows per distributor (key: the distributor id, "" for the company's own deliveries) and per
agent, each sorted by key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from fieldline_orders.domain.orders import DELIVERED_STATUSES, OrderStatus
from fieldline_orders.domain.values import HUNDRED, ZERO


@dataclass(frozen=True)
class FulfilmentFacts:
    """One pre-sale order as the report needs it."""

    order_id: str
    agent_id: str
    distributor_id: str
    status: OrderStatus
    order_date: date
    delivery_date: date | None
    ordered: Decimal
    delivered: Decimal
    # Local date the order reached DELIVERED / PARTIALLY_DELIVERED, if it did.
    delivered_on: date | None


@dataclass
class FulfilmentRow:
    dimension: str
    key: str
    orders: int = 0
    ordered: Decimal = ZERO
    delivered: Decimal = ZERO
    late_orders: int = 0
    unfulfilled_orders: int = 0
    late_order_ids: list[str] = field(default_factory=list)

    @property
    def fill_rate_percent(self) -> Decimal:
        if self.ordered == 0:
            return Decimal("0.00")
        return (self.delivered / self.ordered * HUNDRED).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )


def is_late(f: FulfilmentFacts, today: date, late_after_days: int) -> bool:
    if f.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
        return False
    deadline = (f.delivery_date or f.order_date) + timedelta(days=late_after_days)
    if f.status in DELIVERED_STATUSES:
        return f.delivered_on is not None and f.delivered_on > deadline
    return today > deadline


def is_unfulfilled(f: FulfilmentFacts, today: date, late_after_days: int) -> bool:
    if f.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
        return True
    return f.status not in DELIVERED_STATUSES and is_late(f, today, late_after_days)


def report(
    facts: Iterable[FulfilmentFacts], today: date, late_after_days: int
) -> list[FulfilmentRow]:
    rows: dict[tuple[str, str], FulfilmentRow] = {}
    for f in facts:
        late = is_late(f, today, late_after_days)
        unfulfilled = is_unfulfilled(f, today, late_after_days)
        for dimension, key in (("distributor", f.distributor_id), ("agent", f.agent_id)):
            row = rows.setdefault((dimension, key), FulfilmentRow(dimension, key))
            row.orders += 1
            row.ordered += f.ordered
            row.delivered += f.delivered
            if late:
                row.late_orders += 1
                row.late_order_ids.append(f.order_id)
            if unfulfilled:
                row.unfulfilled_orders += 1
    order = {"distributor": 0, "agent": 1}
    return [rows[k] for k in sorted(rows, key=lambda k: (order[k[0]], k[1]))]
