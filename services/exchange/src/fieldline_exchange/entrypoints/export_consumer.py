"""The export journal's consumers (docs/contexts/exchange.md, *Export*): orders' events
(`exchange-orders-export`), settlements' cash payments (`exchange-settlements-export`) and
clients' outlets (`exchange-clients-export`). Each event is recorded in the consumer's
transaction with its inbox row (a redelivery changes nothing), and the journal keeps the
newest version of each document (a late, older event changes nothing either). The services'
other events are skipped."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC
from typing import Any

from google.protobuf.message import Message
from nats.aio.client import Client
from nats.js import JetStreamContext

from fieldline.clients.events.v1 import events_pb2 as cev
from fieldline.clients.v1 import resources_pb2 as cpb
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline.orders.events.v1 import events_pb2 as oev
from fieldline.orders.v1 import resources_pb2 as opb
from fieldline.settlements.events.v1 import events_pb2 as sev
from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline_exchange.adapters.orm import kit
from fieldline_exchange.bootstrap import App
from fieldline_exchange.domain.export import ORDER, OUTLET, PAYMENT, JournalEntry
from fieldline_exchange.service_layer import export
from fieldline_exchange.topology import CLIENTS_EXPORT, ORDERS_EXPORT, SETTLEMENTS_EXPORT
from fieldline_kit.messaging.consumer import EventConsumer, PoisonMessage
from fieldline_kit.messaging.topology import ConsumerSpec
from fieldline_kit.uow import UnitOfWork

ToEntry = Callable[[App, EventEnvelope, Any], JournalEntry | None]


def _entry(
    app: App,
    envelope: EventEnvelope,
    kind: str,
    document_id: str,
    version: int,
    payload: bytes = b"",
) -> JournalEntry:
    """The journal entry of an event: the envelope names the document and its version."""
    document_id = envelope.aggregate_id or document_id
    version = envelope.aggregate_version or version
    if not document_id or version <= 0:
        raise PoisonMessage(f"a {kind} event without the {kind}'s id or version")
    occurred = (
        envelope.occurred_at.ToDatetime(tzinfo=UTC)
        if envelope.HasField("occurred_at")
        else app.clock()
    )
    return JournalEntry(kind, document_id, version, occurred, payload)


def order_seen(app: App, envelope: EventEnvelope, message: Any) -> JournalEntry:
    """The order of an order event (read from orders as it is now when exported)."""
    return _entry(app, envelope, ORDER, message.order.id, message.order.version)


def status_changed(
    app: App, envelope: EventEnvelope, message: oev.OrderStatusChanged
) -> JournalEntry | None:
    """A held order cancelled or rejected goes to the ERP only if the ERP had it (an order
    exported, then amended into CREDIT_HOLD): one held from its submission never went."""
    entry = order_seen(app, envelope, message)
    if message.previous_status == opb.ORDER_STATUS_CREDIT_HOLD:
        return replace(entry, known_only=True)
    return entry


def amended(app: App, envelope: EventEnvelope, message: oev.OrderAmended) -> JournalEntry:
    """A pre-sale order's new revision, exported again (its document names the revision). Held
    by the amendment's credit check (CREDIT_HOLD): sent only if the ERP had the order."""
    entry = order_seen(app, envelope, message)
    if message.order.status == opb.ORDER_STATUS_CREDIT_HOLD:
        return replace(entry, known_only=True)
    return entry


def payment_recorded(
    app: App, envelope: EventEnvelope, message: sev.PaymentRecorded
) -> JournalEntry | None:
    """Cash an agent collected, with the payment as recorded (a payment is never changed: its
    version is 1). A bank payment came from the ERP: it is not sent back."""
    payment = message.payment
    if payment.kind != spb.PAYMENT_KIND_CASH:
        return None
    return _entry(app, envelope, PAYMENT, payment.id, 1, payment.SerializeToString())


# What the ERP hears of: a working outlet, and its closing. One proposed from the field and not
# yet approved (pending), or rejected, is not the ERP's business.
EXPORTED_OUTLETS = (cpb.OUTLET_STATUS_ACTIVE, cpb.OUTLET_STATUS_CLOSED)


def outlet_seen(app: App, envelope: EventEnvelope, message: Any) -> JournalEntry | None:
    """A new outlet or its changed card or status, with the outlet as it is now (a census
    outlet: once approved)."""
    outlet = message.outlet
    if outlet.status not in EXPORTED_OUTLETS:
        return None
    return _entry(app, envelope, OUTLET, outlet.id, outlet.version, outlet.SerializeToString())


ORDERS: Mapping[type[Message], ToEntry] = {
    oev.OrderSubmitted: order_seen,
    oev.OrderConfirmed: order_seen,
    oev.OrderStatusChanged: status_changed,
    oev.OrderAmended: amended,
    oev.VanSaleCompleted: order_seen,
}
PAYMENTS: Mapping[type[Message], ToEntry] = {sev.PaymentRecorded: payment_recorded}
OUTLETS: Mapping[type[Message], ToEntry] = {
    cev.OutletCreated: outlet_seen,
    cev.OutletChanged: outlet_seen,
}


def _journal_consumer(
    app: App,
    nc: Client | JetStreamContext,
    spec: ConsumerSpec,
    entries: Mapping[type[Message], ToEntry],
) -> EventConsumer:
    async def work(uow: UnitOfWork, envelope: EventEnvelope, message: Message) -> None:
        entry = entries[type(message)](app, envelope, message)
        if entry is not None:
            await export.record(uow, entry, app.clock())

    types = {t.DESCRIPTOR.full_name: t for t in entries}
    handler = app.consumer_handler(work)
    return EventConsumer(
        spec.durable,
        spec.stream,
        app.sessions,
        kit,
        {name: handler for name in types},
        types,
        connection=nc,
        clock=app.clock,
    )


def build_orders_export_consumer(app: App, nc: Client | JetStreamContext) -> EventConsumer:
    return _journal_consumer(app, nc, ORDERS_EXPORT, ORDERS)


def build_settlements_export_consumer(app: App, nc: Client | JetStreamContext) -> EventConsumer:
    return _journal_consumer(app, nc, SETTLEMENTS_EXPORT, PAYMENTS)


def build_clients_export_consumer(app: App, nc: Client | JetStreamContext) -> EventConsumer:
    return _journal_consumer(app, nc, CLIENTS_EXPORT, OUTLETS)
