"""What the device gateway reads from JetStream (collected by `fieldline_kit.messaging.topology`).

The gateway publishes no events (v1). Its durable consumers, shared by all replicas, keep the
employee directory and the sync store from the services' events
(docs/contexts/device-gateway.md, *Consumers, replicas, outages*).
"""

from fieldline_kit.messaging.topology import ConsumerSpec, Topology

CLIENTS_FANOUT = ConsumerSpec(
    "gateway-clients-fanout",
    "CLIENTS",
    ("clients.events.v1.>",),
    "the gateway's employee directory and sync store from clients' events",
)

ORDERS_FANOUT = ConsumerSpec(
    "gateway-orders-fanout",
    "ORDERS",
    ("orders.events.v1.>",),
    "the gateway's sync store from orders' events (catalog, prices, orders, contact figures)",
)

SETTLEMENTS_FANOUT = ConsumerSpec(
    "gateway-settlements-fanout",
    "SETTLEMENTS",
    ("settlements.events.v1.>",),
    "the gateway's sync store from settlements' events (debts, invoices, tare, standings)",
)

TOPOLOGY = Topology(streams=(), consumers=(CLIENTS_FANOUT, ORDERS_FANOUT, SETTLEMENTS_FANOUT))
