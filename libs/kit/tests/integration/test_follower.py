"""StreamFollower: new events only, in order; loses track loudly and starts over (real NATS)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest
from nats.aio.client import Client
from nats.js.api import AckPolicy, DeliverPolicy

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.messaging import StreamFollower
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.topology import apply
from fieldline_kit.testing.helpers import eventually
from fieldline_kit.testing.nats_server import EmbeddedNats

if TYPE_CHECKING:
    from conftest import Ctx


class Recorder:
    """A follower on the test's stream that records what it applied and its state changes."""

    def __init__(self, nc: Client, ctx: Ctx, support: ModuleType) -> None:
        self.nc, self.ctx, self.support = nc, ctx, support
        self.js = nc.jetstream()
        self.applied: list[str] = []
        self.transitions: list[str] = []
        self.fail_on: set[str] = set()
        self.follower = StreamFollower(
            nc,
            ctx.stream,
            f"{ctx.name}.events.v1.>",
            self.apply,
            name=f"test-{ctx.name}",
            on_following=lambda: self.transitions.append("following"),
            on_lost=lambda: self.transitions.append("lost"),
            fetch_timeout=0.5,
            retry_delay=0.1,
        )
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def apply(self, envelope: EventEnvelope) -> None:
        key = envelope.aggregate_id
        if key in self.fail_on:
            self.fail_on.discard(key)
            raise RuntimeError(f"cannot apply {key}")
        self.applied.append(key)

    async def publish(self, key: str) -> None:
        env = self.support.envelope(self.support.client_created(key), aggregate_id=key)
        await self.js.publish(self.ctx.subject(), env.SerializeToString())

    async def start(self) -> None:
        self.task = asyncio.create_task(self.follower.run(self.stop))
        await self.wait(lambda: self.follower.following)

    async def close(self) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)

    async def wait(self, condition: object, within: float = 15.0) -> None:
        async def check() -> bool:
            return bool(condition())  # type: ignore[operator]

        await eventually(check, within=within)


@pytest.fixture
async def rec(nc: Client, ctx: Ctx, support: ModuleType) -> AsyncIterator[Recorder]:
    recorder = Recorder(nc, ctx, support)
    yield recorder
    await recorder.close()


async def test_applies_only_events_published_after_it_started_in_order(rec: Recorder) -> None:
    await rec.publish("old")
    await rec.start()
    assert rec.transitions == ["following"]
    for key in ("a", "b", "c"):
        await rec.publish(key)
    await rec.wait(lambda: len(rec.applied) == 3)
    assert rec.applied == ["a", "b", "c"]
    # Idle fetches (each followed by a ping) keep it following; nothing else is applied.
    await asyncio.sleep(1.5)
    assert rec.follower.following and rec.transitions == ["following"]
    assert rec.applied == ["a", "b", "c"]


async def test_stop_removes_the_ephemeral_consumer(rec: Recorder) -> None:
    await rec.start()
    name = rec.follower.consumer_name
    config = (await rec.js.consumer_info(rec.ctx.stream, name)).config
    assert (config.ack_policy, config.deliver_policy) == (AckPolicy.NONE, DeliverPolicy.NEW)
    assert not config.durable_name  # ephemeral
    await rec.close()
    assert not rec.follower.following and rec.transitions == ["following", "lost"]
    consumers = await rec.js.consumers_info(rec.ctx.stream)
    assert name not in [c.name for c in consumers]


async def test_a_failed_apply_loses_track_and_starts_over(rec: Recorder) -> None:
    await rec.start()
    first = rec.follower.consumer_name
    rec.fail_on.add("bad")
    await rec.publish("bad")
    await rec.wait(lambda: rec.transitions == ["following", "lost", "following"])
    assert rec.follower.consumer_name != first
    await rec.publish("after")
    await rec.wait(lambda: rec.applied == ["after"])


async def test_a_deleted_consumer_is_noticed_and_replaced(rec: Recorder) -> None:
    await rec.start()
    await rec.js.delete_consumer(rec.ctx.stream, rec.follower.consumer_name)
    await rec.wait(lambda: rec.transitions == ["following", "lost", "following"])
    await rec.publish("x")
    await rec.wait(lambda: rec.applied == ["x"])


async def test_a_nats_outage_is_reported_and_following_resumes(
    tmp_path: Path, support: ModuleType
) -> None:
    server = EmbeddedNats(tmp_path / "nats")
    await server.start()
    nc = await connect(server.url, "kit-tests-follower-outage")
    ctx = support.new_ctx()
    await apply(nc, [ctx.spec], [])
    rec = Recorder(nc, ctx, support)
    try:
        await rec.start()
        await rec.publish("before")
        await rec.wait(lambda: rec.applied == ["before"])

        await server.stop()
        await rec.wait(lambda: not rec.follower.following, within=5)
        assert rec.transitions == ["following", "lost"]

        await server.start()
        await rec.wait(lambda: rec.follower.following, within=20)
        assert rec.transitions == ["following", "lost", "following"]
        await rec.publish("after")
        await rec.wait(lambda: rec.applied == ["before", "after"])
    finally:
        await rec.close()
        await nc.close()
        await server.stop()
