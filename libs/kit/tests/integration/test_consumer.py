"""EventConsumer: inbox idempotency, retries, dead letters, shutdown (real NATS, real DB)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio
from google.protobuf.message import Message
from nats.aio.client import Client
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline.clients.events.v1 import events_pb2
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.messaging import ConsumerNotDeclared, EventConsumer, PoisonMessage
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.relay import OutboxRelay
from fieldline_kit.messaging.topology import ConsumerSpec, apply
from fieldline_kit.testing.helpers import eventually
from fieldline_kit.testing.nats_server import EmbeddedNats

if TYPE_CHECKING:
    from conftest import Ctx, Db

CREATED = events_pb2.ClientCreated.DESCRIPTOR.full_name


class Harness:
    """A stream + durable consumer for one test, a counting handler with scripted failures."""

    def __init__(self, db: Db, nc: Client, ctx: Ctx, support: ModuleType) -> None:
        self.db, self.nc, self.ctx, self.support = db, nc, ctx, support
        self.js = nc.jetstream()
        self.durable = f"kit-{ctx.name}"
        self.calls: Counter[str] = Counter()
        self.fail_times: dict[str, int] = {}  # key -> how many deliveries raise RuntimeError
        self.poison: set[str] = set()
        self.delay = 0.0
        self.tasks: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    def spec(self, **overrides: Any) -> ConsumerSpec:
        values: dict[str, Any] = {
            "durable": self.durable,
            "stream": self.ctx.stream,
            "filter_subjects": (f"{self.ctx.name}.events.v1.>",),
            "ack_wait_seconds": 5.0,
            "max_deliver": 3,
            "backoff_seconds": (0.2, 0.3),
            "max_ack_pending": 100,
        }
        values.update(overrides)
        return ConsumerSpec(**values)

    async def declare(self, **overrides: Any) -> None:
        await apply(self.js, [], [self.spec(**overrides)])

    async def handler(
        self, session: AsyncSession, envelope: EventEnvelope, message: Message
    ) -> None:
        assert isinstance(message, events_pb2.ClientCreated)
        key = message.client.id
        self.calls[key] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if key in self.poison:
            raise PoisonMessage(f"{key} can never be applied")
        if self.calls[key] <= self.fail_times.get(key, 0):
            raise RuntimeError(f"transient failure #{self.calls[key]} for {key}")
        await self.support.bump(session, self.db.counters, key)

    def consumer(self, **kwargs: Any) -> EventConsumer:
        return EventConsumer(
            self.durable,
            self.ctx.stream,
            self.db.sessions,
            self.db.tables,
            {CREATED: self.handler},
            connection=self.nc,
            fetch_timeout=0.2,
            **kwargs,
        )

    def start(self, consumer: EventConsumer | None = None) -> EventConsumer:
        consumer = consumer or self.consumer()
        stop = asyncio.Event()
        self.tasks.append((stop, asyncio.create_task(consumer.run(stop))))
        return consumer

    async def stop_all(self) -> None:
        for stop, task in self.tasks:
            stop.set()
            await asyncio.wait_for(task, 5)

    async def publish(
        self, key: str, *, event_id: str | None = None, msg_id: str | None = None
    ) -> str:
        env = self.support.envelope(self.support.client_created(key), event_id=event_id)
        await self.publish_raw(env.SerializeToString(), msg_id=msg_id or env.event_id)
        return str(env.event_id)

    async def publish_raw(
        self, data: bytes, *, msg_id: str | None = None, event: str = "ClientCreated"
    ) -> None:
        await self.js.publish(
            self.ctx.subject(event), data, headers={"Nats-Msg-Id": msg_id or str(uuid.uuid4())}
        )

    async def wait(self, predicate: Callable[[], Awaitable[bool]], within: float = 10) -> None:
        await eventually(predicate, within=within)

    async def settled(self) -> bool:
        info = await self.js.consumer_info(self.ctx.stream, self.durable)
        return info.num_pending == 0 and info.num_ack_pending == 0


@pytest_asyncio.fixture
async def h(db: Db, nc: Client, ctx: Ctx, support: ModuleType) -> AsyncIterator[Harness]:
    harness = Harness(db, nc, ctx, support)
    await harness.declare()
    yield harness
    await harness.stop_all()


async def test_events_are_applied_and_recorded_in_the_inbox(h: Harness) -> None:
    ids = [await h.publish(key) for key in ("k1", "k2", "k3")]
    consumer = h.start()

    async def all_applied() -> bool:
        return [await h.db.counter(k) for k in ("k1", "k2", "k3")] == [1, 1, 1]

    await h.wait(all_applied)
    await h.wait(h.settled)
    inbox = await h.db.rows(h.db.tables.inbox, h.db.tables.inbox.c.processed_at)
    assert sorted(r.event_id for r in inbox) == sorted(ids)
    assert {r.consumer for r in inbox} == {consumer.name}
    # The retry policy comes from the declared consumer, not from code.
    assert consumer.max_deliver == 3 and consumer.backoff == (0.2, 0.3)


async def test_redelivered_event_is_applied_once(h: Harness) -> None:
    # The same event twice in the stream (e.g. re-published outside the duplicate window).
    event_id = str(uuid.uuid4())
    await h.publish("dup", event_id=event_id, msg_id="copy-1")
    await h.publish("dup", event_id=event_id, msg_id="copy-2")
    consumer = h.consumer()
    sub = await h.js.pull_subscribe_bind(durable=h.durable, stream=h.ctx.stream)
    msgs = await sub.fetch(2, timeout=2)
    assert [await consumer.handle(m) for m in msgs] == ["applied", "duplicate"]
    assert await h.db.counter("dup") == 1
    assert h.calls["dup"] == 1  # the duplicate never reached the handler
    await sub.unsubscribe()


async def test_lost_ack_redelivery_is_applied_once(h: Harness) -> None:
    await h.declare(ack_wait_seconds=1.0)
    await h.publish("lost-ack")
    consumer = h.consumer()
    sub = await h.js.pull_subscribe_bind(durable=h.durable, stream=h.ctx.stream)
    (msg,) = await sub.fetch(1, timeout=2)

    async def lost() -> None:  # committed, but the ack never reaches the server
        return None

    msg.ack = lost  # type: ignore[method-assign]
    assert await consumer.handle(msg) == "applied"
    (again,) = await sub.fetch(1, timeout=5)  # redelivered after ack_wait
    assert again.metadata.num_delivered == 2
    assert await consumer.handle(again) == "duplicate"
    assert await h.db.counter("lost-ack") == 1
    await sub.unsubscribe()
    await h.wait(h.settled)


async def test_concurrent_copies_on_two_replicas_apply_once(h: Harness) -> None:
    event_id = str(uuid.uuid4())
    await h.publish("race", event_id=event_id, msg_id="r-1")
    await h.publish("race", event_id=event_id, msg_id="r-2")
    h.delay = 0.3  # both transactions are open at the same time
    sub = await h.js.pull_subscribe_bind(durable=h.durable, stream=h.ctx.stream)
    m1, m2 = await sub.fetch(2, timeout=2)
    outcomes = await asyncio.gather(h.consumer().handle(m1), h.consumer().handle(m2))
    assert sorted(outcomes) == ["applied", "duplicate"]
    assert await h.db.counter("race") == 1
    await sub.unsubscribe()
    await h.wait(h.settled)


async def test_poison_and_undecodable_messages_are_dead_lettered_without_blocking(
    h: Harness,
) -> None:
    h.poison.add("bad")
    h.fail_times["flaky"] = 1
    await h.publish("before")
    poison_id = await h.publish("bad")
    await h.publish_raw(b"not an envelope \xff\xff", msg_id="garbage-1")
    flaky_id = await h.publish("flaky")
    await h.publish("after")
    h.start()

    async def done() -> bool:
        keys = ("before", "flaky", "after")
        return [await h.db.counter(k) for k in keys] == [1, 1, 1]

    await h.wait(done)
    await h.wait(h.settled)  # everything acked or terminated: nothing will come back

    dead = await h.db.rows(h.db.tables.dead_letter, h.db.tables.dead_letter.c.id)
    by_id = {r.event_id: r for r in dead}
    assert set(by_id) == {poison_id, "garbage-1"}
    assert by_id[poison_id].deliveries == 1 and "poison" in by_id[poison_id].error
    assert by_id["garbage-1"].payload == b"not an envelope \xff\xff"
    assert "undecodable" in by_id["garbage-1"].error
    assert by_id[poison_id].subject == h.ctx.subject()
    assert h.calls["bad"] == 1  # term(): never redelivered
    assert h.calls["flaky"] == 2  # nak'd once, applied on the second delivery
    inbox_ids = {
        r.event_id for r in await h.db.rows(h.db.tables.inbox, h.db.tables.inbox.c.event_id)
    }
    assert flaky_id in inbox_ids and poison_id not in inbox_ids


async def test_exhausted_retries_go_to_dead_letter(h: Harness) -> None:
    h.fail_times["always"] = 99
    event_id = await h.publish("always")
    await h.publish("next")
    h.start()

    async def dead_lettered() -> bool:
        return len(await h.db.rows(h.db.tables.dead_letter, h.db.tables.dead_letter.c.id)) == 1

    await h.wait(dead_lettered)
    await h.wait(h.settled)
    (row,) = await h.db.rows(h.db.tables.dead_letter, h.db.tables.dead_letter.c.id)
    assert row.event_id == event_id and row.deliveries == 3
    assert "RuntimeError" in row.error
    assert h.calls["always"] == 3
    assert await h.db.counter("always") == 0 and await h.db.counter("next") == 1


async def test_event_types_without_handler_are_skipped_and_recorded(h: Harness) -> None:
    other = h.support.envelope(events_pb2.ClientChanged())
    await h.publish_raw(other.SerializeToString(), msg_id=other.event_id, event="ClientChanged")
    consumer = h.consumer()
    sub = await h.js.pull_subscribe_bind(durable=h.durable, stream=h.ctx.stream)
    (msg,) = await sub.fetch(1, timeout=2)
    assert await consumer.handle(msg) == "skipped"
    inbox = await h.db.rows(h.db.tables.inbox, h.db.tables.inbox.c.event_id)
    assert [r.event_id for r in inbox] == [other.event_id]
    assert not h.calls
    await sub.unsubscribe()


async def test_events_through_outbox_relay_and_consumer_end_to_end(h: Harness) -> None:
    relay = OutboxRelay(h.db.sessions, h.db.tables, h.nc, service="kit-tests")
    await h.support.commit_renames(h.db, h.ctx.name, ["one", "two"], thing_id="e2e")
    assert await relay.publish_pending() == 2
    h.start()

    async def applied_twice() -> bool:
        return await h.db.counter("e2e") == 2  # two distinct events of the same aggregate

    await h.wait(applied_twice)


async def test_stop_finishes_in_flight_message_and_unsubscribes(h: Harness) -> None:
    h.delay = 0.5
    await h.publish("slow")
    consumer = h.start()

    async def in_flight() -> bool:
        return h.calls["slow"] == 1

    await h.wait(in_flight)
    await asyncio.wait_for(consumer.stop(), 5)
    assert await h.db.counter("slow") == 1  # finished and committed, not abandoned
    await h.wait(h.settled)


async def test_missing_consumer_fails_loudly(h: Harness) -> None:
    consumer = EventConsumer(
        "kit-not-declared",
        h.ctx.stream,
        h.db.sessions,
        h.db.tables,
        {CREATED: h.handler},
        connection=h.nc,
    )
    with pytest.raises(ConsumerNotDeclared):
        await asyncio.wait_for(consumer.run(asyncio.Event()), 5)


async def test_consumer_survives_a_nats_restart(
    db: Db, tmp_path: Path, support: ModuleType
) -> None:
    server = EmbeddedNats(tmp_path / "nats")
    await server.start()
    nc = await connect(server.url, "kit-tests-consumer-outage")
    ctx = support.new_ctx()
    h = Harness(db, nc, ctx, support)
    try:
        await apply(nc, [ctx.spec], [h.spec()])
        h.start()
        await h.publish("before-restart")

        async def first() -> bool:
            return await db.counter("before-restart") == 1

        await h.wait(first)
        await server.restart()
        await h.publish("after-restart")  # the publish waits for the reconnect

        async def second() -> bool:
            return await db.counter("after-restart") == 1

        await h.wait(second, within=20)
    finally:
        await h.stop_all()
        await nc.close()
        await server.stop()


async def test_lag_and_redeliveries_are_reported(h: Harness) -> None:
    labels = {"consumer": h.durable}

    def value(name: str, **more: str) -> float | None:
        return REGISTRY.get_sample_value(name, {**labels, **more})

    h.fail_times["flaky"] = 1
    for key in ("flaky", "b", "c"):
        await h.publish(key)
    consumer = h.consumer()
    # Every child exists at 0 from the start: the first redelivery or dead letter is an increase.
    assert value("fieldline_consumer_redelivered_total") == 0
    for outcome in ("applied", "duplicate", "skipped", "retried", "dead_lettered"):
        assert value("fieldline_consumer_processed_total", outcome=outcome) == 0
    sub = await h.js.pull_subscribe_bind(durable=h.durable, stream=h.ctx.stream)
    (first,) = await sub.fetch(1, timeout=2)
    assert await consumer.handle(first) == "retried"
    assert value("fieldline_consumer_pending_messages") == 2  # b and c wait behind it
    await sub.unsubscribe()

    h.start(consumer)

    async def drained() -> bool:
        return [await h.db.counter(k) for k in ("flaky", "b", "c")] == [1, 1, 1]

    await h.wait(drained)
    await h.wait(h.settled)
    assert value("fieldline_consumer_redelivered_total") == 1  # flaky, after its nak
    assert value("fieldline_consumer_pending_messages") == 0
