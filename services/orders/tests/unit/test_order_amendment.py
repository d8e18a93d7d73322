"""Amending and cancelling a pre-sale order: revisions, credit, statuses, who may."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fieldline_kit.errors import (
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
)
from fieldline_orders.domain import events
from fieldline_orders.domain.access import Actor
from fieldline_orders.domain.orders import (
    AMENDABLE,
    CreditDecision,
    Order,
    OrderKind,
    OrderStatus,
    amendment_digest,
)
from fieldline_orders.domain.pricing import PricedLine
from fieldline_orders.service_layer.amend import author

from .orders_factories import (
    ALLOW,
    BLOCK,
    DAY,
    LIMITS,
    NOW,
    book,
    line,
    new_id,
    price_list,
    price_type,
    priced_order,
    product,
)

LATER = NOW + timedelta(hours=1)


def repriced(quantity: str, price: str = "50.00") -> list[PricedLine]:
    p = product()
    pt = price_type()
    b = book([p], pt=pt, lists=[price_list(pt, {p.id: price})])
    return b.price_lines([line(p, quantity)], roles=("AGENT",), limits=LIMITS)


def amend(
    order: Order, quantity: str = "4", decision: CreditDecision = ALLOW, **kw: object
) -> None:
    values: dict[str, object] = {
        "amendment_id": new_id(),
        "digest": "d",
        "expected_revision": order.revision,
        "priced": repriced(quantity),
        "delivery_date": DAY + timedelta(days=2),
        "warehouse_id": "",
        "comment": "fewer",
        "decision": decision,
        "amended_by": order.agent_id,
        "now": LATER,
    }
    values.update(kw)
    order.amend(**values)  # type: ignore[arg-type]


def test_an_amendment_is_the_next_revision_with_the_old_one_kept() -> None:
    order = priced_order(quantity="10")
    order.events.clear()
    order.new_history.clear()  # as written by the repository
    old_lines, old_gross, version = list(order.lines), order.gross_total, order.version
    amend(order, "4")
    assert (order.revision, order.version, order.status) == (2, version + 1, OrderStatus.SUBMITTED)
    assert order.gross_total == old_gross * 4 / 10 and order.lines[0].base_quantity == 4
    assert order.delivery_date == DAY + timedelta(days=2) and order.comment == "fewer"
    assert order.new_revision is not None
    replaced, amendment = order.new_revision
    assert (replaced.revision, list(replaced.lines), replaced.gross_total) == (
        1,
        old_lines,
        old_gross,
    )
    assert (amendment.revision, amendment.at) == (2, LATER)
    [event] = order.events
    assert isinstance(event, events.OrderAmended) and event.previous_revision == 1
    assert event.order.revision == 2 and event.order.new_revision is None
    assert order.new_history == []  # still SUBMITTED: no status change to record


def test_a_blocked_amendment_puts_a_submitted_order_on_credit_hold() -> None:
    order = priced_order()
    amend(order, "40", BLOCK)
    assert (order.status, order.credit) == (OrderStatus.CREDIT_HOLD, BLOCK)
    [change] = order.new_history[-1:]
    assert (change.status, change.reason) == (OrderStatus.CREDIT_HOLD, "amended to revision 2")


def test_an_amendment_that_passes_releases_a_held_order() -> None:
    order = priced_order(BLOCK)
    assert order.status is OrderStatus.CREDIT_HOLD
    amend(order, "1", ALLOW)
    assert order.status is OrderStatus.SUBMITTED and order.revision == 2


@pytest.mark.parametrize("status", sorted(set(OrderStatus) - AMENDABLE, key=lambda s: s.value))
def test_only_held_or_submitted_orders_are_amended_or_cancelled(status: OrderStatus) -> None:
    order = priced_order()
    order.status = status
    with pytest.raises(FailedPrecondition, match=rf"^order_id: .* is {status.name}; .* amended"):
        amend(order)
    if status is not OrderStatus.CANCELLED:
        with pytest.raises(FailedPrecondition, match="cancelled"):
            order.cancel(expected_revision=1, reason="no", cancelled_by="a", now=LATER)
    assert order.revision == 1 and order.new_revision is None


def test_a_van_sale_is_never_amended() -> None:
    order = priced_order()
    order.kind = OrderKind.VAN_SALE
    with pytest.raises(FailedPrecondition, match="van sale"):
        amend(order)


def test_another_revision_than_the_one_seen_is_aborted() -> None:
    order = priced_order()
    amend(order)
    with pytest.raises(Conflict, match=r"^expected_revision: .* revision 2, not 1"):
        amend(order, expected_revision=1)
    with pytest.raises(Conflict, match=r"^expected_revision"):
        order.cancel(expected_revision=3, reason="no", cancelled_by="a", now=LATER)


def test_amended_lines_and_dates_are_checked() -> None:
    order = priced_order()
    with pytest.raises(InvalidArgument, match=r"^lines"):
        amend(order, priced=[])
    with pytest.raises(InvalidArgument, match=r"^delivery_date"):
        amend(order, delivery_date=DAY - timedelta(days=1))
    assert order.revision == 1


def test_a_cancellation_needs_a_reason_and_is_answered_as_is_when_repeated() -> None:
    order = priced_order()
    with pytest.raises(InvalidArgument, match=r"^reason"):
        order.cancel(expected_revision=1, reason="  ", cancelled_by="a", now=LATER)
    assert order.cancel(expected_revision=1, reason="client closed", cancelled_by="a", now=LATER)
    assert (order.status, order.status_reason) == (OrderStatus.CANCELLED, "client closed")
    [event] = [e for e in order.events if isinstance(e, events.OrderStatusChanged)]
    assert event.previous is OrderStatus.SUBMITTED
    assert not order.cancel(expected_revision=1, reason="again", cancelled_by="a", now=LATER)


def test_the_digest_tells_amendments_apart() -> None:
    base: dict[str, object] = {
        "expected_revision": 1,
        "lines": [("p", "box", "2", "")],
        "delivery_date": DAY,
        "warehouse_id": "",
        "comment": "",
        "override_reason": "",
    }
    same = amendment_digest(**base)  # type: ignore[arg-type]
    assert same == amendment_digest(**base)  # type: ignore[arg-type]
    for key, other in [
        ("expected_revision", 2),
        ("lines", [("p", "box", "3", "")]),
        ("delivery_date", None),
        ("comment", "x"),
        ("override_reason", "boss said"),
    ]:
        assert amendment_digest(**{**base, key: other}) != same  # type: ignore[arg-type]


def test_who_amends_an_employee_or_the_employee_a_service_acts_for() -> None:
    assert author(Actor.of("e-1", {"AGENT"})) == "e-1"
    assert author(Actor.of("svc:gw", {"SERVICE"}, kind="service", acting_for="e-2")) == "e-2"
    with pytest.raises(PermissionDenied, match="act"):
        author(Actor.of("svc:gw", {"SERVICE"}, kind="service"))
