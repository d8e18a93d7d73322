"""The declared `settlements-orders` consumer receives exactly the events settlements handles."""

from __future__ import annotations

from fieldline_settlements.entrypoints.orders_consumer import CONSUMER, STREAM, OrdersHandlers
from fieldline_settlements.topology import TOPOLOGY


def test_declared_filter_subjects_are_the_handled_event_types() -> None:
    (spec,) = [c for c in TOPOLOGY.consumers if c.durable == CONSUMER]
    assert spec.stream == STREAM
    handled = OrdersHandlers.__new__(OrdersHandlers).as_mapping()
    # orders publishes each event on orders.events.v1.<message name> (its event_mapper).
    subjects = {f"orders.events.v1.{name.rsplit('.', 1)[-1]}" for name in handled}
    assert set(spec.filter_subjects) == subjects
