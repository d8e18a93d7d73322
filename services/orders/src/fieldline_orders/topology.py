"""What the orders service owns on JetStream (collected by `fieldline_kit.messaging.topology`).

The ORDERS stream carries its integration events; `orders-clients-feed` keeps this context's
read models of outlets, visit schedules and audits from the clients' events.
"""

from fieldline_kit.messaging.topology import ConsumerSpec, Topology, events_stream

SUBJECT_PREFIX = "orders.events.v1"
STREAM = events_stream("ORDERS", "orders", "orders integration events")

CLIENTS_FEED = ConsumerSpec(
    "orders-clients-feed",
    "CLIENTS",
    ("clients.events.v1.>",),
    "orders' read models of outlets, visit schedules and audits",
)

TOPOLOGY = Topology(streams=(STREAM,), consumers=(CLIENTS_FEED,))
