"""The integration events a stream holds, read as a test would check them; and another
context's event published as its outbox relay publishes it (for a consumer under test)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

from google.protobuf import any_pb2, symbol_database, timestamp_pb2
from google.protobuf.message import Message
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.testing.helpers import new_id


class Published(NamedTuple):
    name: str  # the message's short name, e.g. "OrderSubmitted"
    message: Message
    envelope: EventEnvelope


async def stream_events(
    js: JetStreamContext, stream: str, where: Callable[[EventEnvelope], bool]
) -> list[Published]:
    """Every event on `stream` now whose envelope matches `where`, in stream order.

    Reads with an ephemeral consumer from the start of the stream; the payload types must be
    registered (their `_pb2` module imported).
    """
    types = symbol_database.Default()
    subjects = list((await js.stream_info(stream)).config.subjects or [])
    config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    if len(subjects) > 1:
        config.filter_subjects = subjects
    sub = await js.pull_subscribe(
        subjects[0] if len(subjects) == 1 else "", stream=stream, config=config
    )
    found: list[Published] = []
    try:
        while True:
            try:
                msgs = await sub.fetch(1000, timeout=0.5)
            except TimeoutError:
                break
            for msg in msgs:
                envelope = EventEnvelope.FromString(msg.data)
                if where(envelope):
                    type_name = envelope.payload.TypeName()
                    message = types.GetSymbol(type_name)()
                    envelope.payload.Unpack(message)
                    found.append(Published(type_name.rsplit(".", 1)[-1], message, envelope))
                await msg.ack()
    finally:
        await sub.unsubscribe()
    return found


async def published(
    js: JetStreamContext,
    stream: str,
    where: Callable[[EventEnvelope], bool],
    *,
    expect: int,
    timeout: float = 10.0,
    settle: float = 0.0,
) -> list[Published]:
    """The events on `stream` matching `where`, once at least `expect` have arrived (or what
    arrived within `timeout`: the test's assertion then shows what was there).

    `settle`: after reaching `expect`, wait that long and read again, to see extra copies.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await stream_events(js, stream, where)
        if len(found) >= expect:
            if settle:
                await asyncio.sleep(settle)
                found = await stream_events(js, stream, where)
            return found
        if loop.time() > deadline:
            return found
        await asyncio.sleep(0.2)


def about(aggregate_id: str) -> Callable[[EventEnvelope], bool]:
    """`where` for the events of one aggregate."""
    return lambda envelope: envelope.aggregate_id == aggregate_id


async def publish_event(
    js: JetStreamContext,
    stream: str,
    subject_prefix: str,
    message: Message,
    *,
    aggregate_type: str,
    aggregate_id: str,
    version: int,
    event_id: str = "",
    msg_id: str = "",
    occurred_at: datetime | None = None,
) -> str:
    """`message` in an EventEnvelope on `<subject_prefix>.<its name>` of `stream`, with
    `Nats-Msg-Id` (default: the event id), as the owning service's relay publishes it; the
    event id."""
    event_id = event_id or new_id()
    payload = any_pb2.Any()
    payload.Pack(message)
    occurred = timestamp_pb2.Timestamp()
    occurred.FromDatetime(occurred_at or datetime.now(UTC))
    envelope = EventEnvelope(
        event_id=event_id,
        occurred_at=occurred,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        correlation_id=new_id(),
        payload=payload,
    )
    await js.publish(
        f"{subject_prefix}.{message.DESCRIPTOR.name}",
        envelope.SerializeToString(),
        stream=stream,
        headers={"Nats-Msg-Id": msg_id or event_id},
    )
    return event_id
