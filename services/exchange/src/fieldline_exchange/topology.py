"""What the exchange reads from JetStream (collected by `fieldline_kit.messaging.topology`).

The exchange publishes no events (v1). Its durable consumer, shared by all replicas, keeps
the order export's journal from orders' events (docs/contexts/exchange.md, *Export*).
"""

from fieldline_kit.messaging.topology import ConsumerSpec, Topology

ORDERS_EXPORT = ConsumerSpec(
    "exchange-orders-export",
    "ORDERS",
    ("orders.events.v1.>",),
    "the exchange's export journal from orders' events (orders submitted, confirmed, "
    "changed, van sales)",
)

TOPOLOGY = Topology(streams=(), consumers=(ORDERS_EXPORT,))
