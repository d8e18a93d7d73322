"""What the exchange reads from JetStream (collected by `fieldline_kit.messaging.topology`).

The exchange publishes no events (v1). Its durable consumers, shared by all replicas, keep
the export's journal from orders', settlements' and clients' events (docs/contexts/exchange.md,
*Export*).
"""

from fieldline_kit.messaging.topology import ConsumerSpec, Topology

ORDERS_EXPORT = ConsumerSpec(
    "exchange-orders-export",
    "ORDERS",
    ("orders.events.v1.>",),
    "the exchange's export journal from orders' events (orders submitted, confirmed, "
    "changed, van sales)",
)

SETTLEMENTS_EXPORT = ConsumerSpec(
    "exchange-settlements-export",
    "SETTLEMENTS",
    ("settlements.events.v1.>",),
    "the exchange's export journal from settlements' events (cash collected by agents)",
)

CLIENTS_EXPORT = ConsumerSpec(
    "exchange-clients-export",
    "CLIENTS",
    ("clients.events.v1.>",),
    "the exchange's export journal from clients' events (outlets created and changed)",
)

TOPOLOGY = Topology(streams=(), consumers=(ORDERS_EXPORT, SETTLEMENTS_EXPORT, CLIENTS_EXPORT))
