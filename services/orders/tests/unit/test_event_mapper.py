"""Every domain event of the orders context is published: `OrdersEvents` maps each one."""

from __future__ import annotations

from fieldline.orders.events.v1 import events_pb2 as ev
from fieldline_orders.adapters.event_mapper import OrdersEvents
from fieldline_orders.domain import events
from fieldline_orders.domain.orders import OrderStatus
from fieldline_orders.topology import SUBJECT_PREFIX

from .orders_factories import priced_order


def domain_events() -> set[type]:
    found: set[type] = set()
    todo = list(events.Event.__subclasses__())
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_domain_event_has_a_mapper() -> None:
    assert domain_events() == OrdersEvents.mapped_types()


def test_an_order_event_is_published_under_the_stream_subjects_with_the_whole_order() -> None:
    order = priced_order()
    order.change_status(OrderStatus.CONFIRMED, now=order.updated_at)
    (confirmed,) = [e for e in order.events if isinstance(e, events.OrderConfirmed)]
    (published,) = OrdersEvents()(confirmed)
    assert published.subject == f"{SUBJECT_PREFIX}.OrderConfirmed"
    assert (published.aggregate_type, published.aggregate_id, published.aggregate_version) == (
        "order",
        order.id,
        2,
    )
    assert isinstance(published.message, ev.OrderConfirmed)
    assert published.message.order.id == order.id
    assert published.message.order.status
