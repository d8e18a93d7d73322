"""The containers a delivery carries (`OrderStatusChanged.delivered_containers`): per container
type, containers per base unit × delivered base units, summed over the order's lines."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from fieldline.orders.events.v1 import events_pb2 as ev
from fieldline_orders.adapters.event_mapper import OrdersEvents
from fieldline_orders.domain import events
from fieldline_orders.domain.orders import (
    Order,
    OrderStatus,
    containers_of,
    delivered_containers,
)

from .orders_factories import (
    ALLOW,
    LIMITS,
    NOW,
    book,
    header,
    line,
    price_list,
    price_type,
    product,
)

S = OrderStatus
BOTTLE = product(container="bottle-0.5", per_unit="1")
KEG = product(container="keg-50", per_unit="0.02")
PLAIN = product()


def shipped_order(distributor_id: str = "") -> Order:
    """Bottles in two lines (a box of 12 and 6 pieces), 100 units of a keg product (2 kegs),
    goods without containers; SHIPPED."""
    pt = price_type()
    prices = {BOTTLE.id: "50", KEG.id: "3", PLAIN.id: "1"}
    b = book([BOTTLE, KEG, PLAIN], pt=pt, lists=[price_list(pt, prices)])
    lines = b.price_lines(
        [line(BOTTLE, "2", "box"), line(KEG, "100"), line(PLAIN, "5"), line(BOTTLE, "6")],
        roles=("AGENT",),
        limits=LIMITS,
    )
    order = Order.submit(header(distributor_id=distributor_id), lines, "RUB", ALLOW, NOW)
    order.change_status(S.SHIPPED, now=NOW)
    order.events.clear()
    return order


def status_changed(order: Order) -> events.OrderStatusChanged:
    (event,) = order.events
    assert isinstance(event, events.OrderStatusChanged)
    return event


def test_a_full_delivery_carries_every_line_s_containers() -> None:
    order = shipped_order()
    order.change_status(S.DELIVERED, reported_by="erp", now=NOW)
    expected = (("bottle-0.5", Decimal(30)), ("keg-50", Decimal(2)))
    assert status_changed(order).delivered_containers == expected
    # the same figures as the lines' containers (what a van sale issues)
    assert containers_of(order.lines) == expected


def test_a_partial_delivery_carries_the_containers_of_what_was_delivered() -> None:
    order = shipped_order()
    # 27 bottles: the box line's 24 in full, 3 of the 6 pieces; 30 units of the keg product
    delivered = [(BOTTLE.id, "27"), (KEG.id, "30")]
    order.change_status(S.PARTIALLY_DELIVERED, delivered=delivered, now=NOW)
    assert status_changed(order).delivered_containers == (
        ("bottle-0.5", Decimal(27)),
        ("keg-50", Decimal("0.6")),
    )


def test_a_partial_delivery_of_goods_without_containers_carries_none() -> None:
    order = shipped_order()
    order.change_status(S.PARTIALLY_DELIVERED, delivered=[(PLAIN.id, "5")], now=NOW)
    assert status_changed(order).delivered_containers == ()


def test_a_distributor_s_order_carries_its_containers_too() -> None:
    """Orders says what was delivered; settlements decides whose tare it is."""
    order = shipped_order(distributor_id="33333333-3333-4333-8333-333333333333")
    order.change_status(S.DELIVERED, now=NOW)
    assert dict(status_changed(order).delivered_containers) == {
        "bottle-0.5": Decimal(30),
        "keg-50": Decimal(2),
    }


def test_a_rejection_carries_no_containers() -> None:
    order = shipped_order()
    order.change_status(S.REJECTED, reason="the outlet was closed", now=NOW)
    assert status_changed(order).delivered_containers == ()


def test_a_cancellation_carries_no_containers() -> None:
    pt = price_type()
    b = book([BOTTLE], pt=pt, lists=[price_list(pt, {BOTTLE.id: "50"})])
    lines = b.price_lines([line(BOTTLE, "6")], roles=("AGENT",), limits=LIMITS)
    order = Order.submit(header(), lines, "RUB", ALLOW, NOW)
    order.events.clear()
    order.change_status(S.CANCELLED, reason="no longer wanted", now=NOW)
    assert status_changed(order).delivered_containers == ()


def test_a_fractional_figure_is_exact_and_given_to_three_places() -> None:
    """Exact Decimal throughout: 0.125 crates a piece × 0.5 pieces is 0.0625, given as 0.063
    (a quantity's 3 places, half up); 0.125 × 2 is 0.25 exactly."""
    crate = product(container="crate", per_unit="0.125")
    pt = price_type()
    b = book([crate], pt=pt, lists=[price_list(pt, {crate.id: "10"})])
    lines = b.price_lines([line(crate, "3")], roles=("AGENT",), limits=LIMITS)
    order = Order.submit(header(), lines, "RUB", ALLOW, NOW)
    (ordered,) = order.lines
    assert ordered.container_quantity == Decimal("0.375")

    def delivering(q: str) -> tuple[tuple[str, Decimal], ...]:
        return delivered_containers([replace(ordered, delivered_base_quantity=Decimal(q))])

    assert delivering("0.5") == (("crate", Decimal("0.063")),)
    assert delivering("2") == (("crate", Decimal("0.25")),)
    assert delivering("3") == (("crate", Decimal("0.375")),)
    assert delivering("0") == ()


def test_the_published_event_carries_them_as_container_lines() -> None:
    order = shipped_order()
    order.change_status(
        S.PARTIALLY_DELIVERED, delivered=[(BOTTLE.id, "27"), (KEG.id, "30")], now=NOW
    )
    (published,) = OrdersEvents()(status_changed(order))
    assert isinstance(published.message, ev.OrderStatusChanged)
    assert [(c.container_type, c.quantity) for c in published.message.delivered_containers] == [
        ("bottle-0.5", "27"),
        ("keg-50", "0.6"),
    ]
    assert published.message.order.status
    order = shipped_order()
    order.change_status(S.REJECTED, now=NOW)
    (published,) = OrdersEvents()(status_changed(order))
    assert list(published.message.delivered_containers) == []
