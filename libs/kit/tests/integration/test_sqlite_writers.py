"""SQLite writers of one process queue on an asyncio lock instead of SQLite's sleeping retries."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_kit.db import autocommit, create_engine, read_session_factory, session_factory
from fieldline_kit.sqlite_writers import queue_writers

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
)


async def sqlite_engine(path: Path, **queue: Any) -> AsyncEngine:
    engine = create_engine(f"sqlite:///{path}")
    queue_writers(engine, **queue)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return engine


@pytest_asyncio.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """Always SQLite: the write lock is a SQLite matter, whatever backend the suite runs on."""
    engine = await sqlite_engine(tmp_path / "db.sqlite3")
    yield engine
    await engine.dispose()


def time_begins(engine: AsyncEngine) -> list[float]:
    """Durations of the statements that ran a transaction's BEGIN IMMEDIATE (the first one of
    each write transaction): a busy wait would show up here."""
    durations: list[float] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if conn.connection.dbapi_connection.begin_pending:
            conn.info["begin_started"] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        started = conn.info.pop("begin_started", None)
        if started is not None:
            durations.append(time.perf_counter() - started)

    return durations


async def test_writers_go_one_at_a_time_without_busy_waits(
    sqlite: AsyncEngine,
) -> None:
    begins = time_begins(sqlite)
    inside, most_inside, entered = 0, 0, []

    async def writer(n: int) -> None:
        nonlocal inside, most_inside
        async with session_factory(sqlite)() as session, session.begin():
            await session.execute(insert(items).values(id=n, name=f"item {n}"))
            inside += 1
            most_inside = max(most_inside, inside)
            entered.append(n)
            await asyncio.sleep(0.005)  # the transaction spans several event-loop turns
            await session.execute(select(items.c.id).where(items.c.id == n))
            inside -= 1

    await asyncio.gather(*(writer(n) for n in range(1, 21)))
    assert most_inside == 1
    assert sorted(entered) == list(range(1, 21))
    # SQLite's busy handler sleeps 1, 2, 5, 10 … ms between retries; nobody got there.
    assert len(begins) == 20 and max(begins) < 0.05


async def test_reads_do_not_queue_behind_a_writer(sqlite: AsyncEngine) -> None:
    writing, release = asyncio.Event(), asyncio.Event()

    async def long_write() -> None:
        async with session_factory(sqlite)() as session, session.begin():
            await session.execute(insert(items).values(id=1, name="uncommitted"))
            writing.set()
            await release.wait()

    writer = asyncio.create_task(long_write())
    await asyncio.wait_for(writing.wait(), 5)
    try:
        async with asyncio.timeout(2):
            async with read_session_factory(sqlite)() as session, session.begin():
                assert (await session.scalars(select(items.c.id))).all() == []
    finally:
        release.set()
        await writer


async def test_autocommit_connections_neither_queue_nor_hold_the_queue(
    sqlite: AsyncEngine,
) -> None:
    writing, release = asyncio.Event(), asyncio.Event()

    async def long_write() -> None:
        async with session_factory(sqlite)() as session, session.begin():
            await session.execute(insert(items).values(id=1, name="uncommitted"))
            writing.set()
            await release.wait()

    async with autocommit(sqlite) as held:  # kept open, as the outbox relay keeps its own
        assert (await held.scalars(select(items.c.id))).all() == []
        writer = asyncio.create_task(long_write())  # not held up by the open connection
        await asyncio.wait_for(writing.wait(), 5)
        try:
            async with asyncio.timeout(5), autocommit(sqlite) as fresh:  # not queued either
                assert (await fresh.scalars(select(items.c.id))).all() == []
        finally:
            release.set()
            await writer
        assert (await held.scalars(select(items.c.id))).all() == [1]  # a snapshot per statement


async def test_a_rolled_back_writer_hands_over(sqlite: AsyncEngine) -> None:
    class Boom(Exception):
        pass

    try:
        async with session_factory(sqlite)() as session, session.begin():
            await session.execute(insert(items).values(id=1, name="rolled back"))
            raise Boom
    except Boom:
        pass
    async with asyncio.timeout(2):
        async with session_factory(sqlite)() as session, session.begin():
            await session.execute(insert(items).values(id=2, name="kept"))
    async with read_session_factory(sqlite)() as session, session.begin():
        assert (await session.scalars(select(items.c.id))).all() == [2]


async def test_a_holder_that_never_hands_over_is_taken_over_after_the_timeout(
    tmp_path: Path,
) -> None:
    engine = await sqlite_engine(tmp_path / "db.sqlite3", timeout=0.2)
    try:
        # A connection that wrote and was never given back to the pool (as a lost one would
        # be): it holds the queue, but no longer SQLite's lock.
        stuck = await engine.connect()
        await stuck.begin()
        await stuck.rollback()
        started = time.perf_counter()
        async with asyncio.timeout(5):
            async with session_factory(engine)() as session, session.begin():
                await session.execute(insert(items).values(id=1, name="after the wait"))
        assert 0.2 <= time.perf_counter() - started < 2
        await stuck.close()  # no longer the holder: closing it releases nothing
        # The queue moves normally again.
        async with asyncio.timeout(2):
            async with session_factory(engine)() as session, session.begin():
                await session.execute(insert(items).values(id=2, name="at once"))
    finally:
        await engine.dispose()


async def test_a_writer_cancelled_while_it_waits_gives_its_connection_back(
    sqlite: AsyncEngine,
) -> None:
    writing, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with session_factory(sqlite)() as session, session.begin():
            await session.execute(insert(items).values(id=1, name="first"))
            writing.set()
            await release.wait()

    async def waiter() -> None:
        async with session_factory(sqlite)() as session, session.begin():
            await session.execute(insert(items).values(id=2, name="never"))

    first = asyncio.create_task(holder())
    await asyncio.wait_for(writing.wait(), 5)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        second = asyncio.create_task(waiter())
        await asyncio.sleep(0.05)  # queued behind the holder
        second.cancel()  # e.g. its RPC's deadline expired
        with contextlib.suppress(asyncio.CancelledError):
            await second
        release.set()
        await first
        gc.collect()
    pool: Any = sqlite.sync_engine.pool
    assert pool.checkedout() == 0
    # Given back by the session, not found and terminated by the garbage collector.
    assert not [w for w in seen if "non-checked-in" in str(w.message)]
    async with asyncio.timeout(2):
        async with session_factory(sqlite)() as session, session.begin():
            await session.execute(insert(items).values(id=3, name="third"))
    async with read_session_factory(sqlite)() as session, session.begin():
        assert (await session.scalars(select(items.c.id).order_by(items.c.id))).all() == [1, 3]
