"""Engines and sessions: SQLite reads do not take the write lock, writes still do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_kit.db import create_engine, read_session_factory, session_factory

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
)


@pytest_asyncio.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """Always SQLite: the write lock is a SQLite matter, whatever backend the suite runs on."""
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(items).values(id=1, name="one"))
    yield engine
    await engine.dispose()


def record_begins(engine: AsyncEngine) -> list[str]:
    statements: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("BEGIN"):
            statements.append(statement)

    return statements


async def test_reads_begin_deferred_and_writes_begin_immediate(sqlite: AsyncEngine) -> None:
    begins = record_begins(sqlite)
    async with read_session_factory(sqlite)() as session, session.begin():
        assert await session.scalar(select(items.c.name)) == "one"
    async with session_factory(sqlite)() as session, session.begin():
        await session.execute(insert(items).values(id=2, name="two"))
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]


async def test_a_long_write_transaction_does_not_block_a_read(sqlite: AsyncEngine) -> None:
    writing, release = asyncio.Event(), asyncio.Event()

    async def long_write() -> None:
        async with session_factory(sqlite)() as session, session.begin():
            await session.execute(insert(items).values(id=3, name="uncommitted"))
            writing.set()
            await release.wait()

    writer = asyncio.create_task(long_write())
    await asyncio.wait_for(writing.wait(), 5)
    try:
        # Before: the read's BEGIN IMMEDIATE waited for the writer (busy_timeout, 30 s).
        async with asyncio.timeout(2):
            async with read_session_factory(sqlite)() as session, session.begin():
                names = (await session.scalars(select(items.c.name).order_by(items.c.id))).all()
        assert names == ["one"]  # the writer's row is not committed yet
    finally:
        release.set()
        await writer
    async with read_session_factory(sqlite)() as session, session.begin():
        assert (await session.scalars(select(items.c.id).order_by(items.c.id))).all() == [1, 3]
