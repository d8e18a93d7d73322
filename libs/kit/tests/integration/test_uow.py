"""UnitOfWork commit hooks: on_commit wakes the relay, after_commit gets the written events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from fieldline_kit.uow import IntegrationEvent, UnitOfWork

if TYPE_CHECKING:
    from conftest import Db


class Hooks:
    def __init__(self) -> None:
        self.woken = 0
        self.batches: list[list[IntegrationEvent]] = []
        self.order: list[str] = []

    def on_commit(self) -> None:
        self.woken += 1
        self.order.append("on_commit")

    def after_commit(self, events: Sequence[IntegrationEvent]) -> None:
        self.batches.append(list(events))
        self.order.append("after_commit")


def new_uow(db: Db, support: ModuleType, hooks: Hooks) -> UnitOfWork:
    return UnitOfWork(
        db.sessions,
        db.tables,
        support.thing_mapper("hooks"),
        on_commit=hooks.on_commit,
        after_commit=hooks.after_commit,
    )


async def test_after_commit_gets_the_events_the_commit_wrote(db: Db, support: ModuleType) -> None:
    hooks = Hooks()
    thing = support.Thing(str(uuid.uuid4()))
    async with new_uow(db, support, hooks) as uow:
        uow.track(thing)
        thing.rename("a")
        thing.rename("b")
        await uow.commit()
    assert hooks.order == ["on_commit", "after_commit"]
    [batch] = hooks.batches
    assert [(e.aggregate_id, e.aggregate_version) for e in batch] == [(thing.id, 1), (thing.id, 2)]
    assert [e.message.client.name for e in batch] == ["a", "b"]  # type: ignore[attr-defined]
    rows = await db.rows(db.tables.outbox, db.tables.outbox.c.id)
    assert [r.event_id for r in rows] == [e.event_id for e in batch]  # as on the stream
    assert len({e.event_id for e in batch}) == 2


async def test_events_flushed_earlier_in_the_transaction_are_included(
    db: Db, support: ModuleType
) -> None:
    hooks = Hooks()
    thing = support.Thing(str(uuid.uuid4()))
    async with new_uow(db, support, hooks) as uow:
        uow.track(thing)
        thing.rename("a")
        await uow.flush_events()
        thing.rename("b")
        await uow.commit()
    assert [len(b) for b in hooks.batches] == [2]


async def test_no_hooks_without_events_or_without_a_commit(db: Db, support: ModuleType) -> None:
    hooks = Hooks()
    async with new_uow(db, support, hooks) as uow:
        uow.track(support.Thing(str(uuid.uuid4())))
        await uow.commit()  # nothing happened to the thing: no events
    thing = support.Thing(str(uuid.uuid4()))
    async with new_uow(db, support, hooks) as uow:
        uow.track(thing)
        thing.rename("never committed")
        await uow.flush_events()
    with pytest.raises(RuntimeError):
        async with new_uow(db, support, hooks) as uow:
            uow.track(thing)
            thing.rename("rolled back")
            await uow.flush_events()
            raise RuntimeError("boom")
    assert hooks.order == []
    assert await db.rows(db.tables.outbox) == []


async def test_a_reused_unit_of_work_reports_each_commit_once(db: Db, support: ModuleType) -> None:
    hooks = Hooks()
    uow = new_uow(db, support, hooks)
    thing = support.Thing(str(uuid.uuid4()))
    for name in ("a", "b"):
        async with uow:
            uow.track(thing)
            thing.rename(name)
            await uow.commit()
    assert [[e.message.client.name for e in b] for b in hooks.batches] == [["a"], ["b"]]  # type: ignore[attr-defined]


async def test_each_aggregate_keeps_the_correlation_id_and_trace_of_its_request(
    db: Db, support: ModuleType
) -> None:
    """A batch of requests in one transaction: every event names its own request."""
    from fieldline.common.v1 import event_envelope_pb2
    from fieldline_kit.logging import correlation_id
    from fieldline_kit.tracing import Origin

    theirs_trace = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}

    hooks = Hooks()
    mine, theirs = support.Thing(str(uuid.uuid4())), support.Thing(str(uuid.uuid4()))
    token = correlation_id.set("batch-runner")
    try:
        async with new_uow(db, support, hooks) as uow:
            uow.track(mine)
            uow.track(theirs, origin=Origin("request-2", theirs_trace))
            mine.rename("a")
            theirs.rename("b")
            await uow.commit()
    finally:
        correlation_id.reset(token)
    rows = await db.rows(db.tables.outbox, db.tables.outbox.c.id)
    by_aggregate = {
        env.aggregate_id: (env.correlation_id, dict(env.trace_context))
        for env in (event_envelope_pb2.EventEnvelope.FromString(r.payload) for r in rows)
    }
    # Tracing is off here: the current context has no trace to carry.
    assert by_aggregate == {mine.id: ("batch-runner", {}), theirs.id: ("request-2", theirs_trace)}


async def test_responses_of_many_requests_are_recorded_at_once(db: Db, support: ModuleType) -> None:
    async with new_uow(db, support, Hooks()) as uow:
        await uow.record_responses([("m:1", "f1", b"one"), ("m:2", "f2", b"two")])
        await uow.record_responses([])
        await uow.commit()
    async with new_uow(db, support, Hooks()) as uow:
        found = await uow.stored_responses(["m:1", "m:2", "m:3"])
        assert found == {"m:1": ("f1", b"one"), "m:2": ("f2", b"two")}
        assert await uow.stored_responses([]) == {}


async def test_a_read_only_unit_of_work_reads_but_never_writes(db: Db, support: ModuleType) -> None:
    async with new_uow(db, support, Hooks()) as uow:
        await uow.record_responses([("m:1", "f1", b"one")])
        await uow.commit()
    reader = UnitOfWork(db.sessions, db.tables, support.thing_mapper("ro"), read_only=True)
    async with reader:
        assert await reader.stored_responses(["m:1"]) == {"m:1": ("f1", b"one")}
        with pytest.raises(RuntimeError, match="read-only"):
            await reader.record_responses([("m:2", "f2", b"two")])
        with pytest.raises(RuntimeError, match="read-only"):
            await reader.commit()
