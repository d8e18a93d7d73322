"""A durable consumer that turns each event into a sync-store `Change` (the three fan-out
consumers are this, with their own table of changes): applied in the consumer's transaction,
with the event's inbox row, so a redelivery changes nothing twice; an event its projection
cannot read is dead-lettered (PoisonMessage) rather than blocking the stream."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import Message
from nats.aio.client import Client
from nats.js import JetStreamContext

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_gateway.adapters.orm import kit
from fieldline_gateway.adapters.projections import ProjectionError
from fieldline_gateway.bootstrap import App
from fieldline_gateway.service_layer.fanout import Change, apply, observe_lag
from fieldline_kit.clock import utcnow
from fieldline_kit.messaging.consumer import EventConsumer, PoisonMessage
from fieldline_kit.messaging.topology import ConsumerSpec
from fieldline_kit.uow import UnitOfWork

ToChange = Callable[[App, EventEnvelope, Any], Change]
BuildConsumer = Callable[[App, Client | JetStreamContext], EventConsumer]


def occurred_at(envelope: EventEnvelope) -> datetime | None:
    if not envelope.HasField("occurred_at"):
        return None
    return envelope.occurred_at.ToDatetime(tzinfo=UTC)


def fanout_consumer(spec: ConsumerSpec, changes: Mapping[type[Message], ToChange]) -> BuildConsumer:
    """The builder of `spec`'s consumer, handling the event types `changes` names (the others
    are recorded in the inbox and skipped)."""

    def build(app: App, nc: Client | JetStreamContext) -> EventConsumer:
        async def work(uow: UnitOfWork, envelope: EventEnvelope, message: Message) -> None:
            try:
                change = changes[type(message)](app, envelope, message)
            except ProjectionError as exc:
                raise PoisonMessage(str(exc)) from None
            await apply(uow.session, change)
            observe_lag(spec.stream, occurred_at(envelope), utcnow())

        types = {t.DESCRIPTOR.full_name: t for t in changes}
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

    return build
