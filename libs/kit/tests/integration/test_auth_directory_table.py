"""The employee directory's read model on the suite's database: newest version wins."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_kit.auth.directory import Standing
from fieldline_kit.auth.directory_table import (
    directory_table,
    put_standing,
    table_lookup,
    table_snapshot,
)
from fieldline_kit.db import create_engine, session_factory
from fieldline_kit.testing.databases import DatabaseFactory

metadata = MetaData()
table = directory_table(metadata)


@pytest_asyncio.fixture
async def engine(db_factory: DatabaseFactory) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(await db_factory.create())
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def test_the_newest_event_of_an_employee_wins_whatever_the_order(
    engine: AsyncEngine,
) -> None:
    sessions = session_factory(engine)
    lookup = table_lookup(sessions, table)
    agent = Standing(True, frozenset({"AGENT", "SUPERVISOR"}), "sup-1", "t-1")
    dismissed = Standing(False, frozenset({"AGENT"}), "sup-1", "t-1")
    assert await lookup("e-1") is None
    async with sessions.begin() as s:
        assert await put_standing(s, table, "e-1", agent, 1)
    assert await lookup("e-1") == agent
    async with sessions.begin() as s:
        assert await put_standing(s, table, "e-1", dismissed, 3)
        # Version 2 arriving late changes nothing; the same version again neither.
        assert not await put_standing(s, table, "e-1", agent, 2)
        assert not await put_standing(s, table, "e-1", agent, 3)
    assert await lookup("e-1") == dismissed
    async with sessions.begin() as s:
        assert await put_standing(s, table, "e-2", Standing(True, frozenset()), 1)
    assert await lookup("e-2") == Standing(True, frozenset())
    everyone = {"e-1": dismissed, "e-2": Standing(True, frozenset())}
    assert await table_snapshot(sessions, table)() == everyone
