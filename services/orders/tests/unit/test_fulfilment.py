"""The fulfilment report: fill rate, late and unfulfilled orders per distributor and agent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fieldline_orders.domain.fulfilment import FulfilmentFacts, report
from fieldline_orders.domain.orders import OrderStatus

S = OrderStatus
TODAY = date(2024, 5, 20)
DIST, AGENT_A, AGENT_B = "dist-1", "agent-a", "agent-b"


def facts(
    order_id: str,
    status: OrderStatus,
    ordered: str,
    delivered: str = "0",
    *,
    agent: str = AGENT_A,
    distributor: str = DIST,
    delivery: date | None = date(2024, 5, 16),
    delivered_on: date | None = None,
) -> FulfilmentFacts:
    return FulfilmentFacts(
        order_id,
        agent,
        distributor,
        status,
        date(2024, 5, 14),
        delivery,
        Decimal(ordered),
        Decimal(delivered),
        delivered_on,
    )


def test_report_rows() -> None:
    rows = report(
        [
            facts("o1", S.DELIVERED, "10", "10", delivered_on=date(2024, 5, 16)),
            facts("o2", S.PARTIALLY_DELIVERED, "10", "5", delivered_on=date(2024, 5, 19)),
            facts("o3", S.SHIPPED, "6", agent=AGENT_B),  # deadline 5/18 passed: late, unfulfilled
            facts("o4", S.REJECTED, "4", agent=AGENT_B),
            facts("o5", S.SUBMITTED, "3", distributor="", delivery=date(2024, 5, 19)),
            facts("o6", S.CANCELLED, "1", distributor=""),
        ],
        TODAY,
        late_after_days=2,
    )
    by = {(r.dimension, r.key): r for r in rows}
    assert [(r.dimension, r.key) for r in rows] == [
        ("distributor", ""),
        ("distributor", DIST),
        ("agent", AGENT_A),
        ("agent", AGENT_B),
    ]
    d = by[("distributor", DIST)]
    assert (d.orders, d.ordered, d.delivered, d.fill_rate_percent) == (
        4,
        Decimal(30),
        Decimal(15),
        Decimal("50.00"),
    )
    # o2 delivered 5/19 after its 5/18 deadline: late but fulfilled; o3 still open: both
    assert (d.late_orders, d.late_order_ids, d.unfulfilled_orders) == (2, ["o2", "o3"], 2)
    company = by[("distributor", "")]
    # o5's deadline (5/21) has not passed; o6 cancelled: unfulfilled, not late
    assert (company.late_orders, company.unfulfilled_orders) == (0, 1)
    assert by[("agent", AGENT_B)].fill_rate_percent == Decimal("0.00")


def test_fill_rate_rounding_and_empty() -> None:
    (dist, _agent) = report(
        [facts("o", S.PARTIALLY_DELIVERED, "3", "2", delivered_on=date(2024, 5, 16))],
        TODAY,
        0,
    )
    assert str(dist.fill_rate_percent) == "66.67"
    (zero, _a) = report([facts("o", S.SUBMITTED, "0")], TODAY, 30)
    assert str(zero.fill_rate_percent) == "0.00"
    assert report([], TODAY, 0) == []


def test_without_delivery_date_the_order_date_counts() -> None:
    (row, _a) = report([facts("o", S.CONFIRMED, "1", delivery=None)], date(2024, 5, 15), 0)
    assert row.late_order_ids == ["o"]
    (row, _a) = report([facts("o", S.CONFIRMED, "1", delivery=None)], date(2024, 5, 14), 0)
    assert row.late_orders == 0
