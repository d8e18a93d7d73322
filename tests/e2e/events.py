"""Read what the system published on JetStream (the CLIENTS stream)."""

from __future__ import annotations

import asyncio
from collections import Counter

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

from fieldline.common.v1 import event_envelope_pb2


async def count_events(
    nats_url: str, subject: str = "clients.events.v1.>"
) -> Counter[tuple[str, str]]:
    """(event type, aggregate id) → how many times it is in the stream."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            subject, stream="CLIENTS", config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
        )
        seen: Counter[tuple[str, str]] = Counter()
        while True:
            try:
                msgs = await sub.fetch(1000, timeout=1.0)
            except TimeoutError:
                break
            for msg in msgs:
                env = event_envelope_pb2.EventEnvelope.FromString(msg.data)
                seen[(env.payload.TypeName().rsplit(".", 1)[-1], env.aggregate_id)] += 1
                await msg.ack()
        await sub.unsubscribe()
        return seen
    finally:
        await nc.close()


async def wait_for_events(
    nats_url: str, wanted: set[tuple[str, str]], timeout: float = 30.0
) -> Counter[tuple[str, str]]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        seen = await count_events(nats_url)
        if wanted <= set(seen) or asyncio.get_running_loop().time() > deadline:
            return seen
        await asyncio.sleep(0.5)
