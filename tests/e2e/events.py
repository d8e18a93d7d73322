"""Read what the system published on JetStream (the CLIENTS stream)."""

from __future__ import annotations

import asyncio
from collections import Counter

import nats

from fieldline.clients.events.v1 import events_pb2  # noqa: F401 - registers the event types
from fieldline_kit.testing.events import stream_events


async def count_events(nats_url: str, stream: str = "CLIENTS") -> Counter[tuple[str, str]]:
    """(event type, aggregate id) → how many times it is in the stream."""
    nc = await nats.connect(nats_url)
    try:
        found = await stream_events(nc.jetstream(), stream, lambda _: True)
    finally:
        await nc.close()
    return Counter((event.name, event.envelope.aggregate_id) for event in found)


async def wait_for_events(
    nats_url: str, wanted: set[tuple[str, str]], timeout: float = 30.0
) -> Counter[tuple[str, str]]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        seen = await count_events(nats_url)
        if wanted <= set(seen) or asyncio.get_running_loop().time() > deadline:
            return seen
        await asyncio.sleep(0.5)
