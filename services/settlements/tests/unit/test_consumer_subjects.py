"""The declared consumers receive exactly the events settlements handles."""

from __future__ import annotations

from fieldline_settlements.entrypoints import clients_feed
from fieldline_settlements.entrypoints.orders_consumer import CONSUMER, STREAM, OrdersHandlers
from fieldline_settlements.topology import TOPOLOGY


def test_declared_filter_subjects_are_the_handled_event_types() -> None:
    (spec,) = [c for c in TOPOLOGY.consumers if c.durable == CONSUMER]
    assert spec.stream == STREAM
    handled = OrdersHandlers.__new__(OrdersHandlers).as_mapping()
    # orders publishes each event on orders.events.v1.<message name> (its event_mapper).
    subjects = {f"orders.events.v1.{name.rsplit('.', 1)[-1]}" for name in handled}
    assert set(spec.filter_subjects) == subjects


def test_the_clients_feed_receives_exactly_the_events_its_read_models_need() -> None:
    (spec,) = [c for c in TOPOLOGY.consumers if c.durable == clients_feed.CONSUMER]
    assert (spec.durable, spec.stream) == ("settlements-clients-feed", "CLIENTS")
    # clients publishes each event on clients.events.v1.<message name>.
    handled = {f"clients.events.v1.{t.DESCRIPTOR.name}" for t in clients_feed.WORK}
    assert (
        set(spec.filter_subjects)
        == handled
        == {
            "clients.events.v1.EmployeeChanged",
            "clients.events.v1.OutletCreated",
            "clients.events.v1.OutletChanged",
            "clients.events.v1.RouteAssignmentChanged",
        }
    )
