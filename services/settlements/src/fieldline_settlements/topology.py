"""What the settlements service owns on JetStream (collected by
`fieldline_kit.messaging.topology`).

The SETTLEMENTS stream carries its integration events; `settlements-orders` turns orders'
facts into invoices, payments, tare and released reservations.
"""

from fieldline_kit.messaging.topology import ConsumerSpec, Topology, events_stream

SUBJECT_PREFIX = "settlements.events.v1"
STREAM = events_stream("SETTLEMENTS", "settlements", "settlements integration events")

ORDERS_FEED = ConsumerSpec(
    "settlements-orders",
    "ORDERS",
    # Only the events it has handlers for: every other order event (OrderSubmitted on each
    # pre-sale order, …) would cost settlements a delivery, an inbox write and an ack.
    (
        "orders.events.v1.VanSaleCompleted",
        "orders.events.v1.ReturnAccepted",
        "orders.events.v1.OrderStatusChanged",
    ),
    "settlements books invoices, payments, tare and releases credit reservations",
)

TOPOLOGY = Topology(streams=(STREAM,), consumers=(ORDERS_FEED,))
