"""The `exchange-orders-export` consumer: orders' events → the export journal
(docs/contexts/exchange.md, *Export*). Each event is recorded in the consumer's transaction
with its inbox row (a redelivery changes nothing), and the journal keeps the newest version of
each order (a late, older event changes nothing either). Orders' other events are skipped."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

from google.protobuf.message import Message
from nats.aio.client import Client
from nats.js import JetStreamContext

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.events.v1 import events_pb2 as oev
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline_exchange.adapters.orm import kit
from fieldline_exchange.bootstrap import App
from fieldline_exchange.domain.export import ORDER, JournalEntry
from fieldline_exchange.service_layer import export
from fieldline_exchange.topology import ORDERS_EXPORT
from fieldline_kit.messaging.consumer import EventConsumer, PoisonMessage
from fieldline_kit.uow import UnitOfWork

ToEntry = Callable[[App, EventEnvelope, Any], JournalEntry | None]


def order_seen(app: App, envelope: EventEnvelope, message: Any) -> JournalEntry:
    """The order of an order event (the envelope names it and its version)."""
    order_id = envelope.aggregate_id or message.order.id
    version = envelope.aggregate_version or message.order.version
    if not order_id or version <= 0:
        raise PoisonMessage("an order event without the order's id or version")
    occurred = (
        envelope.occurred_at.ToDatetime(tzinfo=UTC)
        if envelope.HasField("occurred_at")
        else app.clock()
    )
    return JournalEntry(ORDER, order_id, version, occurred)


def status_changed(
    app: App, envelope: EventEnvelope, message: oev.OrderStatusChanged
) -> JournalEntry | None:
    """A held order cancelled or rejected never went to the ERP: nothing to export."""
    if message.previous_status == opb.ORDER_STATUS_CREDIT_HOLD:
        return None
    return order_seen(app, envelope, message)


ORDERS: Mapping[type[Message], ToEntry] = {
    oev.OrderSubmitted: order_seen,
    oev.OrderConfirmed: order_seen,
    oev.OrderStatusChanged: status_changed,
    oev.VanSaleCompleted: order_seen,
}


def build_orders_export_consumer(app: App, nc: Client | JetStreamContext) -> EventConsumer:
    async def work(uow: UnitOfWork, envelope: EventEnvelope, message: Message) -> None:
        entry = ORDERS[type(message)](app, envelope, message)
        if entry is not None:
            await export.record(uow, entry, app.clock())

    types = {t.DESCRIPTOR.full_name: t for t in ORDERS}
    handler = app.consumer_handler(work)
    return EventConsumer(
        ORDERS_EXPORT.durable,
        ORDERS_EXPORT.stream,
        app.sessions,
        kit,
        {name: handler for name in types},
        types,
        connection=nc,
        clock=app.clock,
    )
