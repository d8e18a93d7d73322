"""Outbox relay against a real nats-server and a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from nats.aio.client import Client
from prometheus_client import REGISTRY
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from fieldline.clients.events.v1 import events_pb2
from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.relay import OutboxRelay
from fieldline_kit.messaging.topology import apply
from fieldline_kit.testing.helpers import eventually
from fieldline_kit.testing.nats_server import EmbeddedNats
from fieldline_kit.uow import UnitOfWork

if TYPE_CHECKING:
    from conftest import Ctx, Db


def relay_for(db: Db, nc: Client, **kwargs: object) -> OutboxRelay:
    return OutboxRelay(db.sessions, db.tables, nc, service="kit-tests", **kwargs)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[None]:
    """`relay.run()` in the background for the block; stopped (within 5 s) after it."""
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


def stream_holds(js: Any, stream: str, n: int) -> Callable[[], Awaitable[bool]]:
    """A check for `eventually`: the stream holds exactly `n` messages."""

    async def check() -> bool:
        return (await js.stream_info(stream)).state.messages == n

    return check


async def test_committed_events_are_published_once_in_order(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    await support.commit_renames(db, ctx.name, ["a1", "a2"], thing_id="A")
    # A unit of work left without commit() writes nothing, so nothing is published.
    async with UnitOfWork(db.sessions, db.tables, support.thing_mapper(ctx.name)) as uow:
        thing = support.Thing("ROLLED-BACK")
        uow.track(thing)
        thing.rename("never")
        await uow.flush_events()
    await support.commit_renames(db, ctx.name, ["b1"], thing_id="B")

    relay = relay_for(db, nc)
    assert await relay.publish_pending() == 3
    assert await relay.publish_pending() == 0  # nothing left, nothing re-sent

    rows = await db.rows(db.tables.outbox, db.tables.outbox.c.id)
    assert len(rows) == 3
    assert all(r.published_at is not None and r.attempts == 0 for r in rows)

    js = nc.jetstream()
    msgs = await support.stream_messages(js, ctx.stream)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == [r.event_id for r in rows]
    assert [m.subject for m in msgs] == [ctx.subject()] * 3
    envelopes = [EventEnvelope.FromString(m.data) for m in msgs]
    assert [(e.aggregate_id, e.aggregate_version) for e in envelopes] == [
        ("A", 1),
        ("A", 2),
        ("B", 1),
    ]
    assert [e.event_id for e in envelopes] == [r.event_id for r in rows]
    created = events_pb2.ClientCreated()
    assert envelopes[2].payload.Unpack(created) and created.client.name == "b1"
    assert await relay.update_lag_metrics() == (0, 0.0)


async def test_commit_wakes_the_running_relay(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    relay = relay_for(db, nc, poll_interval=30.0)  # only a wake-up can make it publish soon
    async with running(relay):
        await asyncio.sleep(0.2)  # let the first (empty) pass finish and the loop go to sleep
        await support.commit_renames(db, ctx.name, ["x"], on_commit=relay.wake)
        await eventually(stream_holds(nc.jetstream(), ctx.stream, 1), within=5)


async def test_nats_outage_loses_and_duplicates_nothing(
    db: Db, tmp_path: Path, support: ModuleType
) -> None:
    server = EmbeddedNats(tmp_path / "nats")
    await server.start()
    nc = await connect(server.url, "kit-tests-outage")
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        ctx = support.new_ctx()
        await apply(nc, [ctx.spec], [])
        await server.stop()

        for i in range(5):
            await support.commit_renames(db, ctx.name, [f"n{i}"])
        relay = relay_for(db, nc, publish_timeout=0.3, poll_interval=0.1, max_backoff=0.5)
        task = asyncio.create_task(relay.run(stop))
        outbox = db.tables.outbox

        async def failed_twice() -> bool:
            rows = await db.rows(outbox, outbox.c.id)
            return rows[0].attempts >= 2

        await eventually(failed_twice, within=10)
        rows = await db.rows(outbox, outbox.c.id)
        assert all(r.published_at is None for r in rows)
        assert rows[0].last_error  # the first row carries the failure; order is kept
        assert all(r.attempts == 0 for r in rows[1:])
        count, age = await relay.update_lag_metrics()
        assert count == 5 and age >= 0

        await server.start()  # same port, same store: the stream is still there

        async def all_published() -> bool:
            return all(r.published_at is not None for r in await db.rows(outbox, outbox.c.id))

        await eventually(all_published, within=20)
        msgs = await support.stream_messages(nc.jetstream(), ctx.stream)
        rows = await db.rows(outbox, outbox.c.id)
        assert [m.headers["Nats-Msg-Id"] for m in msgs] == [r.event_id for r in rows]
    finally:
        stop.set()
        if task is not None:
            await asyncio.wait_for(task, 5)
        await nc.close()
        await server.stop()


async def test_republish_after_crash_before_marking_is_deduplicated(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    await support.commit_renames(db, ctx.name, ["c1", "c2", "c3"])
    relay = relay_for(db, nc)
    assert await relay.publish_pending() == 3
    # The relay got its PubAcks but died before its UPDATE committed:
    outbox = db.tables.outbox
    async with db.sessions() as s, s.begin():
        await s.execute(update(outbox).values(published_at=None))

    assert await relay.publish_pending() == 3  # sent again ...
    js = nc.jetstream()
    assert (await js.stream_info(ctx.stream)).state.messages == 3  # ... and dropped as duplicates
    rows = await db.rows(outbox, outbox.c.id)
    assert all(r.published_at is not None for r in rows)


async def test_unroutable_subject_blocks_in_order_and_counts_attempts(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    # No stream captures this context: the publish fails, and later rows must wait.
    await support.commit_renames(db, "nostream" + ctx.name, ["lost"])
    await support.commit_renames(db, ctx.name, ["behind"])
    relay = relay_for(db, nc, publish_timeout=0.5)
    assert await relay.publish_pending() == 0
    assert relay.last_pass_failed
    assert await relay.publish_pending() == 0
    rows = await db.rows(db.tables.outbox, db.tables.outbox.c.id)
    assert rows[0].attempts == 2 and "NoStreamResponseError" in rows[0].last_error
    assert rows[1].attempts == 0 and rows[1].published_at is None


async def test_published_rows_are_purged_after_retention(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    await support.commit_renames(db, ctx.name, ["p1", "p2"])
    await support.commit_renames(db, ctx.name, ["unpublished"])
    relay = relay_for(db, nc, batch_size=2)
    assert await relay.publish_pending() == 2
    assert await relay.purge_published() == 0  # younger than the retention
    assert await relay.purge_published(older_than=timedelta(seconds=-1)) == 2
    rows = await db.rows(db.tables.outbox, db.tables.outbox.c.id)
    assert len(rows) == 1 and rows[0].published_at is None


async def test_two_relay_replicas_publish_each_event_once(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    for i in range(30):
        await support.commit_renames(db, ctx.name, [f"r{i}"])
    relays = [relay_for(db, nc, batch_size=7) for _ in range(2)]

    async def drain(relay: OutboxRelay) -> int:
        total = 0
        while n := await relay.publish_pending():
            total += n
        return total

    sent = await asyncio.gather(*(drain(r) for r in relays))
    if db.engine.dialect.name == "postgresql":
        assert sum(sent) == 30  # SKIP LOCKED: no row is taken by both replicas
    assert (await nc.jetstream().stream_info(ctx.stream)).state.messages == 30
    rows = await db.rows(db.tables.outbox, db.tables.outbox.c.id)
    assert all(r.published_at is not None for r in rows)


# -- pipelined publishing -----------------------------------------------------------------------
# A pass sends the rows of one context without waiting for each PubAck; every row after the
# first carries Nats-Expected-Last-Msg-Id = the previous row's event id, so JetStream stores a
# row only right behind the row before it. These tests pin down that a row failing in the
# middle of a pipelined run keeps every later row out of the stream until it went out itself.

EXPECTED_LAST = "Nats-Expected-Last-Msg-Id"


async def test_a_failure_inside_a_pipelined_run_keeps_later_rows_out_of_the_stream(
    db: Db, nc: Client, support: ModuleType
) -> None:
    # A stream that rejects big messages: the third row fails while the rows behind it have
    # already been sent; without the chain, JetStream would store them ahead of it.
    ctx = support.new_ctx()
    js = nc.jetstream()
    await js.add_stream(
        name=ctx.stream,
        subjects=[f"{ctx.name}.events.v1.>"],
        max_msg_size=1024,
        duplicate_window=120.0,
    )
    await support.commit_renames(db, ctx.name, ["a1", "a2", "x" * 3000, "b1", "b2"])
    outbox = db.tables.outbox
    relay = relay_for(db, nc, publish_timeout=2.0)

    assert await relay.publish_pending() == 2
    assert relay.last_pass_failed
    rows = await db.rows(outbox, outbox.c.id)
    assert [r.published_at is not None for r in rows] == [True, True, False, False, False]
    assert rows[2].attempts == 1 and "message size exceeds maximum" in rows[2].last_error
    assert all(r.attempts == 0 and r.last_error is None for r in rows[3:])
    msgs = await support.stream_messages(js, ctx.stream)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == [r.event_id for r in rows[:2]]
    assert msgs[1].headers[EXPECTED_LAST] == rows[0].event_id  # the chain, as stored

    # Still blocked on the next pass (order is kept), then through once the stream allows it.
    assert await relay.publish_pending() == 0
    assert (await js.stream_info(ctx.stream)).state.messages == 2
    config = (await js.stream_info(ctx.stream)).config
    config.max_msg_size = -1
    await js.update_stream(config)
    assert await relay.publish_pending() == 3
    assert not relay.last_pass_failed
    msgs = await support.stream_messages(js, ctx.stream)
    rows = await db.rows(outbox, outbox.c.id)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == [r.event_id for r in rows]
    assert all(r.published_at is not None for r in rows)


async def test_an_unroutable_row_between_two_contexts_stops_the_pass(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    await support.commit_renames(db, ctx.name, ["before"])
    await support.commit_renames(db, "nostream" + ctx.name, ["lost"])
    await support.commit_renames(db, ctx.name, ["after"])
    relay = relay_for(db, nc, publish_timeout=0.5)
    assert await relay.publish_pending() == 1
    assert relay.last_pass_failed
    rows = await db.rows(db.tables.outbox, db.tables.outbox.c.id)
    assert rows[0].published_at is not None
    assert rows[1].attempts == 1 and "NoStreamResponseError" in rows[1].last_error
    assert rows[2].published_at is None and rows[2].attempts == 0
    msgs = await support.stream_messages(nc.jetstream(), ctx.stream)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == [rows[0].event_id]


async def test_a_broken_chain_falls_back_to_one_row_at_a_time(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    await support.commit_renames(db, ctx.name, ["c1", "c2", "c3"])
    relay = relay_for(db, nc)
    assert await relay.publish_pending() == 3
    # The first row's mark was lost (it goes out again as a duplicate, while the stream's last
    # message is c3), and a new row follows it: chained to c1, c4 is rejected, not stored,
    # and sent again on its own in the same pass. Neither counts as a failure.
    outbox = db.tables.outbox
    first = (await db.rows(outbox, outbox.c.id))[0]
    async with db.sessions() as s, s.begin():
        await s.execute(update(outbox).where(outbox.c.id == first.id).values(published_at=None))
    await support.commit_renames(db, ctx.name, ["c4"])
    failures = _failures()

    assert await relay.publish_pending() == 2
    assert not relay.last_pass_failed
    assert _failures() == failures
    rows = await db.rows(outbox, outbox.c.id)
    assert all(r.published_at is not None and r.attempts == 0 for r in rows)
    msgs = await support.stream_messages(nc.jetstream(), ctx.stream)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == [r.event_id for r in rows]
    assert EXPECTED_LAST not in (msgs[3].headers or {})  # c4 went out on its own


async def test_relay_given_a_jetstream_context_publishes_in_order(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    await support.commit_renames(db, ctx.name, ["j1", "j2", "j3"])
    await support.commit_renames(db, "nostream" + ctx.name, ["lost"])
    relay = relay_for(db, nc.jetstream(), publish_timeout=0.5)  # type: ignore[arg-type]
    assert await relay.publish_pending() == 3
    assert relay.last_pass_failed
    rows = await db.rows(db.tables.outbox, db.tables.outbox.c.id)
    assert rows[3].attempts == 1 and "NoStreamResponseError" in rows[3].last_error
    msgs = await support.stream_messages(nc.jetstream(), ctx.stream)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == [r.event_id for r in rows[:3]]


async def test_relay_with_a_connection_bound_sessionmaker(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    # Not bound to an engine: the relay works through sessions instead of its own connections.
    await support.commit_renames(db, ctx.name, ["s1", "s2"])
    async with db.engine.connect() as conn:
        sessions = async_sessionmaker(bind=conn, expire_on_commit=False)
        relay = OutboxRelay(sessions, db.tables, nc, service="kit-tests")
        assert await relay.publish_pending() == 2
        assert await relay.publish_pending() == 0
    rows = await db.rows(db.tables.outbox, db.tables.outbox.c.id)
    assert all(r.published_at is not None for r in rows)
    msgs = await support.stream_messages(nc.jetstream(), ctx.stream)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == [r.event_id for r in rows]


async def test_commits_do_not_cut_a_backoff_short_but_stop_does(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    await support.commit_renames(db, "nostream" + ctx.name, ["blocking"])
    relay = relay_for(db, nc, publish_timeout=0.2, poll_interval=30.0, max_backoff=30.0)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    outbox = db.tables.outbox
    try:

        async def failed_once() -> bool:
            return (await db.rows(outbox, outbox.c.id))[0].attempts == 1

        await eventually(failed_once, within=5)
        relay.wake()  # backing off (30 s): a wake-up does not start a pass
        await asyncio.sleep(0.5)
        assert (await db.rows(outbox, outbox.c.id))[0].attempts == 1
    finally:
        stop.set()
    await asyncio.wait_for(task, 2)  # the stop event ends the backoff at once


def _failures() -> float:
    value = REGISTRY.get_sample_value(
        "fieldline_outbox_publish_failures_total", {"service": "kit-tests"}
    )
    return value or 0.0


async def test_running_relay_survives_losing_its_kept_connection(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    # run() keeps one connection between passes (PostgreSQL: the pass, SQLite: the read). When
    # it is gone, the next pass goes on at once on a fresh one (no failed pass, no backoff),
    # and the connection goes back to the pool when run() ends.
    relay = relay_for(db, nc, poll_interval=30.0, max_backoff=30.0)
    async with running(relay):
        await asyncio.sleep(0.3)  # the first pass has taken the connection
        if db.engine.dialect.name == "postgresql":  # (a SQLite file does not go away)
            async with db.engine.connect() as conn:
                await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
        await support.commit_renames(db, ctx.name, ["after"], on_commit=relay.wake)
        await eventually(stream_holds(nc.jetstream(), ctx.stream, 1), within=5)
        assert not relay.last_pass_failed
    assert db.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def count_passes(relay: OutboxRelay) -> list[int]:
    """Count run()'s passes (a spy: each pass still runs as it would)."""
    passes = [0]
    held_pass = relay._held_pass

    async def counted() -> int:
        passes[0] += 1
        return await held_pass()

    relay._held_pass = counted  # type: ignore[method-assign]
    return passes


async def test_a_burst_of_wake_ups_within_the_pacing_interval_makes_one_pass(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    # The interval is long enough for the five commits below to fit in it on a loaded machine
    # (each is a transaction; under a busy CI a 3 s interval was seen to end mid-burst).
    relay = relay_for(db, nc, poll_interval=30.0, min_pass_interval=8.0)
    passes = count_passes(relay)
    js = nc.jetstream()
    outbox = db.tables.outbox
    async with running(relay):

        async def started() -> bool:
            return passes[0] == 1

        await eventually(started, within=5)
        # Idle: the first wake-up's pass starts at once (not after the interval).
        await support.commit_renames(db, ctx.name, ["first"], on_commit=relay.wake)
        await eventually(stream_holds(js, ctx.stream, 1), within=2.5)
        assert passes[0] == 2
        # Five commits, each waking the relay, each with time for a pass in between: while
        # the interval since the last woken pass runs, they make one pass together.
        for i in range(5):
            await support.commit_renames(db, ctx.name, [f"burst{i}"], on_commit=relay.wake)
            await asyncio.sleep(0.05)
        await eventually(stream_holds(js, ctx.stream, 6), within=15)
        assert passes[0] == 3
        rows = await db.rows(outbox, outbox.c.id)
        assert all(r.published_at is not None for r in rows)
        assert len({r.published_at for r in rows[1:]}) == 1  # marked by one pass
        assert rows[0].published_at != rows[1].published_at
        msgs = await support.stream_messages(js, ctx.stream)
        assert [m.headers["Nats-Msg-Id"] for m in msgs] == [r.event_id for r in rows]


async def test_pacing_never_holds_back_a_backlog(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    # A pass that published a whole batch goes again at once, whatever the interval.
    relay = relay_for(db, nc, poll_interval=30.0, min_pass_interval=30.0, batch_size=2)
    async with running(relay):
        await asyncio.sleep(0.2)  # the first (empty) pass is over, the relay sleeps
        await support.commit_renames(
            db, ctx.name, ["b1", "b2", "b3", "b4", "b5"], on_commit=relay.wake
        )
        await eventually(stream_holds(nc.jetstream(), ctx.stream, 5), within=5)


async def test_stop_ends_the_pacing_pause_at_once(
    db: Db, nc: Client, ctx: Ctx, support: ModuleType
) -> None:
    relay = relay_for(db, nc, poll_interval=30.0, min_pass_interval=30.0)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    outbox = db.tables.outbox
    try:
        await asyncio.sleep(0.2)
        await support.commit_renames(db, ctx.name, ["now"], on_commit=relay.wake)

        async def first_out() -> bool:
            return (await db.rows(outbox, outbox.c.id))[0].published_at is not None

        await eventually(first_out, within=5)  # idle: published at once
        await support.commit_renames(db, ctx.name, ["paced"], on_commit=relay.wake)
        await asyncio.sleep(0.3)
        # Within 30 s of the last woken pass: this wake-up waits for the interval.
        assert (await db.rows(outbox, outbox.c.id))[1].published_at is None
    finally:
        stop.set()
    await asyncio.wait_for(task, 2)  # the stop event ends the pause at once
    # Nothing is lost: the paced row goes out with the next pass (here: a fresh relay's).
    assert await relay_for(db, nc).publish_pending() == 1
