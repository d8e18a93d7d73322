"""What the settlements service owns on JetStream (collected by
`fieldline_kit.messaging.topology`).

The SETTLEMENTS stream carries its integration events; `settlements-orders` turns orders'
facts into invoices, payments, tare and released reservations; `settlements-clients-feed`
keeps the read models of the clients context's employees, outlets and routes (the employee
directory of the auth check, and the data scopes).
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

CLIENTS_FEED = ConsumerSpec(
    "settlements-clients-feed",
    "CLIENTS",
    # Only what the read models need: not visits, audits, clients' cards, census decisions.
    (
        "clients.events.v1.EmployeeChanged",
        "clients.events.v1.OutletCreated",
        "clients.events.v1.OutletChanged",
        "clients.events.v1.RouteAssignmentChanged",
    ),
    "settlements' employee directory and the outlets and routes behind its data scopes",
)

TOPOLOGY = Topology(streams=(STREAM,), consumers=(ORDERS_FEED, CLIENTS_FEED))
