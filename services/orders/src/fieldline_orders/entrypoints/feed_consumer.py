"""The `orders-clients-feed` consumer: clients' events → this context's read models.

The durable is declared by the topology (fieldline_kit.messaging.topology, stream CLIENTS,
subjects `clients.events.v1.>`); this only binds to it. Events without a handler here
(ClientCreated, VisitCompleted, …) are recorded in the inbox and acked as skipped.
"""

from __future__ import annotations

from nats.aio.client import Client
from nats.js import JetStreamContext

from fieldline_kit.messaging.consumer import EventConsumer
from fieldline_orders.adapters.schema import kit
from fieldline_orders.bootstrap import App
from fieldline_orders.service_layer import feed

CONSUMER = "orders-clients-feed"
STREAM = "CLIENTS"


def build_feed_consumer(app: App, nc: Client | JetStreamContext) -> EventConsumer:
    return EventConsumer(
        CONSUMER,
        STREAM,
        app.sessions,
        kit,
        feed.HANDLERS,
        feed.MESSAGE_TYPES,
        connection=nc,
        clock=app.clock,
    )
