"""The order aggregate: submit, credit decisions, the status machine, partial deliveries."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from fieldline_kit.errors import FailedPrecondition, InvalidArgument
from fieldline_orders.domain import events
from fieldline_orders.domain.orders import (
    FINAL,
    SETTLEMENTS_UNAVAILABLE,
    TRANSITIONS,
    CreditDecision,
    CreditOutcome,
    Order,
    OrderKind,
    OrderStatus,
    can_move,
    containers_of,
)

from .orders_factories import (
    ALLOW,
    BLOCK,
    DAY,
    LIMITS,
    NOW,
    book,
    header,
    line,
    new_id,
    price_list,
    price_type,
    priced_order,
    product,
    van,
)

S = OrderStatus
LEGAL = {
    (S.CREDIT_HOLD, S.SUBMITTED),
    (S.CREDIT_HOLD, S.CANCELLED),
    (S.SUBMITTED, S.CONFIRMED),
    (S.SUBMITTED, S.SHIPPED),
    (S.SUBMITTED, S.REJECTED),
    (S.SUBMITTED, S.CANCELLED),
    (S.CONFIRMED, S.SHIPPED),
    (S.CONFIRMED, S.REJECTED),
    (S.CONFIRMED, S.CANCELLED),
    (S.SHIPPED, S.DELIVERED),
    (S.SHIPPED, S.PARTIALLY_DELIVERED),
    (S.SHIPPED, S.REJECTED),
}
PAIRS = [(a, b) for a, b in itertools.product(S, S) if a is not b]
LATER = NOW + timedelta(hours=3)


def order_in(status: OrderStatus) -> Order:
    order = priced_order()
    order.status = status
    order.events.clear()
    order.new_history.clear()
    return order


def delivered_for(order: Order, target: OrderStatus) -> list[tuple[str, str]]:
    if target is S.PARTIALLY_DELIVERED:
        return [(order.lines[0].product_id, "4")]
    return []


def test_the_table_is_the_documented_one() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == LEGAL
    assert {S.DELIVERED, S.PARTIALLY_DELIVERED, S.REJECTED, S.CANCELLED} == FINAL


@pytest.mark.parametrize(
    ("source", "target"), sorted(LEGAL, key=lambda p: (p[0].value, p[1].value))
)
def test_every_legal_transition(source: OrderStatus, target: OrderStatus) -> None:
    order = order_in(source)
    version = order.version
    assert order.change_status(
        target, delivered=delivered_for(order, target), reason="why", reported_by="erp", now=LATER
    )
    assert order.status is target
    assert order.version == version + 1
    assert order.updated_at == LATER
    assert order.status_reason == "why"
    assert [(h.status, h.reported_by) for h in order.new_history] == [(target, "erp")]
    (event,) = order.events
    if target is S.CONFIRMED:
        assert isinstance(event, events.OrderConfirmed)
    elif target is S.SUBMITTED:
        assert isinstance(event, events.OrderSubmitted)
    else:
        assert isinstance(event, events.OrderStatusChanged)
        assert event.previous is source
    assert event.order.status is target
    assert event.order.version == order.version


@pytest.mark.parametrize(
    ("source", "target"),
    [p for p in PAIRS if p not in LEGAL],
    ids=lambda s: s.name,
)
def test_every_illegal_transition_names_both_states(
    source: OrderStatus, target: OrderStatus
) -> None:
    order = order_in(source)
    before = replace(order, lines=list(order.lines))
    with pytest.raises(FailedPrecondition) as info:
        order.change_status(target, delivered=delivered_for(order, target), now=LATER)
    assert source.name in info.value.message and target.name in info.value.message
    assert f"from {source.name} to {target.name}" in info.value.message
    assert order == before
    assert not order.events
    assert not can_move(source, target)


@pytest.mark.parametrize("status", list(S), ids=lambda s: s.name)
def test_same_status_again_is_a_no_op(status: OrderStatus) -> None:
    order = order_in(status)
    version = order.version
    assert order.change_status(status, now=LATER) is False
    assert order.version == version
    assert not order.events and not order.new_history


def test_delivered_sets_every_delivered_quantity() -> None:
    order = order_in(S.SHIPPED)
    order.change_status(S.DELIVERED, now=LATER)
    assert all(ln.delivered_base_quantity == ln.base_quantity for ln in order.lines)


def test_partial_delivery_spreads_per_product_over_its_lines_in_order() -> None:
    p, q = product(), product()
    pt = price_type()
    b = book([p, q], pt=pt, lists=[price_list(pt, {p.id: "1", q.id: "2"})])
    lines = b.price_lines(
        [line(p, "5"), line(q, "3"), line(p, "1", "box")], roles=("AGENT",), limits=LIMITS
    )
    order = Order.submit(header(), lines, "RUB", ALLOW, NOW)
    order.status = S.SHIPPED
    order.change_status(S.PARTIALLY_DELIVERED, delivered=[(p.id, "9")], now=LATER)
    assert [ln.delivered_base_quantity for ln in order.lines] == [Decimal(5), 0, Decimal(4)]


def test_partial_delivery_validation() -> None:
    order = order_in(S.SHIPPED)
    pid = order.lines[0].product_id
    with pytest.raises(InvalidArgument, match="delivered: is required"):
        order.change_status(S.PARTIALLY_DELIVERED, now=LATER)
    with pytest.raises(InvalidArgument, match=r"delivered\[0\]\.product_id: .* not in order"):
        order.change_status(S.PARTIALLY_DELIVERED, delivered=[(new_id(), "1")], now=LATER)
    with pytest.raises(InvalidArgument, match=r"delivered\[0\]\.base_quantity: 11 is more"):
        order.change_status(S.PARTIALLY_DELIVERED, delivered=[(pid, "11")], now=LATER)
    with pytest.raises(InvalidArgument, match=r"delivered\[0\]\.base_quantity"):
        order.change_status(S.PARTIALLY_DELIVERED, delivered=[(pid, "-1")], now=LATER)
    with pytest.raises(InvalidArgument, match=r"delivered\[1\]\.product_id: .* twice"):
        order.change_status(S.PARTIALLY_DELIVERED, delivered=[(pid, "1"), (pid, "1")], now=LATER)
    with pytest.raises(InvalidArgument, match="only given for PARTIALLY_DELIVERED"):
        order.change_status(S.DELIVERED, delivered=[(pid, "1")], now=LATER)
    assert order.status is S.SHIPPED and not order.events


# -------------------------------------------------------------------------------- submit
def test_submit_allowed_is_submitted() -> None:
    order = priced_order(ALLOW)
    assert (order.kind, order.status, order.version) == (OrderKind.PRE_SALE, S.SUBMITTED, 1)
    (event,) = order.events
    assert isinstance(event, events.OrderSubmitted)
    assert [h.status for h in order.new_history] == [S.SUBMITTED]


def test_submit_warned_keeps_reasons() -> None:
    warn = CreditDecision(CreditOutcome.WARN, ("debt over limit",), decided_at=NOW)
    order = priced_order(warn)
    assert order.status is S.SUBMITTED
    assert order.credit.reasons == ("debt over limit",)


def test_submit_blocked_is_held_and_recheck_releases() -> None:
    order = priced_order(BLOCK)
    assert order.status is S.CREDIT_HOLD
    assert isinstance(order.events[0], events.OrderHeld)
    order.events.clear()
    overridden = CreditDecision(
        CreditOutcome.OVERRIDDEN, ("overdue",), override_by="sup", override_reason="ok"
    )
    assert order.recheck(overridden, LATER, "sup")
    assert order.status is S.SUBMITTED and order.version == 2
    assert order.credit.override_reason == "ok"
    assert isinstance(order.events[0], events.OrderSubmitted)
    assert order.recheck(ALLOW, LATER, "sup") is False  # not held any more: no change


def test_recheck_still_blocked_stays_held_with_the_new_decision() -> None:
    order = priced_order(BLOCK)
    order.events.clear()
    again = CreditDecision(CreditOutcome.BLOCK, ("override ignored: no role",))
    assert order.recheck(again, LATER, "agent")
    assert order.status is S.CREDIT_HOLD
    assert order.credit.reasons == ("override ignored: no role",)
    assert isinstance(order.events[0], events.OrderHeld)


def test_fallback_decisions() -> None:
    blocked = CreditDecision.fallback_for("block", NOW)
    allowed = CreditDecision.fallback_for("allow", NOW)
    assert (blocked.outcome, blocked.fallback, blocked.reasons) == (
        CreditOutcome.BLOCK,
        True,
        (SETTLEMENTS_UNAVAILABLE,),
    )
    assert (allowed.outcome, allowed.passes, allowed.fallback) == (CreditOutcome.WARN, True, True)


def test_header_validation() -> None:
    with pytest.raises(InvalidArgument, match="order_id: must be a UUID"):
        header("nope")
    with pytest.raises(InvalidArgument, match="delivery_date"):
        header(delivery_date=DAY - timedelta(days=1))
    with pytest.raises(InvalidArgument, match="outlet_id: is required"):
        header(outlet_id="")


# ------------------------------------------------------------------------------ van sale
def test_van_sale_is_delivered_at_once_with_containers() -> None:
    p = product(container="bottle-0.5", per_unit="1")
    keg = product(container="keg-50", per_unit="0.02")
    plain = product()
    pt = price_type()
    b = book(
        [p, keg, plain], pt=pt, lists=[price_list(pt, {p.id: "50", keg.id: "3", plain.id: "1"})]
    )
    lines = b.price_lines(
        [line(p, "2", "box"), line(keg, "100"), line(plain, "5"), line(p, "6")],
        roles=("VAN_SELLER",),
        limits=LIMITS,
    )
    van_id = new_id()
    sold_from = van(van_id)
    order = Order.van_sale(header(), sold_from, lines, "RUB", ALLOW, Decimal("100.00"), "R-1", NOW)
    assert (order.kind, order.status, order.warehouse_id) == (
        OrderKind.VAN_SALE,
        S.DELIVERED,
        van_id,
    )
    assert all(ln.delivered_base_quantity == ln.base_quantity for ln in order.lines)
    assert [ln.container_quantity for ln in order.lines] == [Decimal(24), Decimal(2), 0, Decimal(6)]
    assert containers_of(order.lines) == (("bottle-0.5", Decimal(30)), ("keg-50", Decimal(2)))
    (event,) = order.events
    assert isinstance(event, events.VanSaleCompleted)
    assert event.containers == (("bottle-0.5", Decimal(30)), ("keg-50", Decimal(2)))
    assert (event.cash_collected, event.receipt_number, event.van_id) == (
        Decimal(100),
        "R-1",
        van_id,
    )
    with pytest.raises(FailedPrecondition, match="DELIVERED to CANCELLED"):
        order.change_status(S.CANCELLED, now=LATER)


def test_van_sale_refusals() -> None:
    p = product()
    pt = price_type()
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: "10"})])
    lines = b.price_lines([line(p, "1")], roles=(), limits=LIMITS)
    with pytest.raises(FailedPrecondition, match="overdue 40 days"):
        Order.van_sale(header(), van(), lines, "RUB", BLOCK, Decimal(0), "", NOW)
    with pytest.raises(InvalidArgument, match=r"cash_collected: 10\.01 is more"):
        Order.van_sale(header(), van(), lines, "RUB", ALLOW, Decimal("10.01"), "", NOW)
    with pytest.raises(InvalidArgument, match="cash_collected: must not be negative"):
        Order.van_sale(header(), van(), lines, "RUB", ALLOW, Decimal("-1"), "", NOW)
