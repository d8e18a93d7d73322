"""SQLite statements make one trip to aiosqlite's thread and behave as SQLAlchemy's cursor did."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_kit.db import create_engine, session_factory
from fieldline_kit.sqlite_cursor import OneTripConnection

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(50), nullable=False, unique=True),
)


@pytest_asyncio.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def test_connections_use_one_trip_cursors(sqlite: AsyncEngine) -> None:
    async with sqlite.connect() as conn:
        raw = await conn.get_raw_connection()
        assert type(raw.dbapi_connection) is OneTripConnection


async def test_one_trip_to_the_thread_per_statement(
    sqlite: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sqlite.connect() as conn:
        await conn.execute(select(items))  # connected, pool warm
        driver = (await conn.get_raw_connection()).driver_connection
        trips = 0
        original = driver._execute

        async def counted(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal trips
            trips += 1
            return await original(fn, *args, **kwargs)

        monkeypatch.setattr(driver, "_execute", counted)
        await conn.execute(insert(items).values(name="a"))
        assert (await conn.execute(select(items.c.name))).scalars().all() == ["a"]
        assert trips == 2  # SQLAlchemy's adapter made 3-4 trips per statement
        await conn.rollback()


async def test_rows_rowcount_lastrowid_returning_and_executemany(sqlite: AsyncEngine) -> None:
    async with session_factory(sqlite)() as session, session.begin():
        first = await session.execute(insert(items).values(name="a"))
        assert first.inserted_primary_key == (1,)  # from lastrowid
        many = await session.execute(insert(items), [{"name": "b"}, {"name": "c"}])
        assert many.rowcount == 2
        returned = await session.execute(insert(items).values(name="d").returning(items.c.id))
        assert returned.scalar_one() == 4
        changed = await session.execute(
            update(items).where(items.c.id > 2).values(name=items.c.name + "!")
        )
        assert changed.rowcount == 2
        rows = (await session.execute(select(items.c.id, items.c.name).order_by(items.c.id))).all()
        assert [tuple(r) for r in rows] == [(1, "a"), (2, "b"), (3, "c!"), (4, "d!")]
        assert (await session.execute(select(items).where(items.c.id == 99))).first() is None
        gone = await session.execute(delete(items).where(items.c.id == 1))
        assert gone.rowcount == 1


async def test_errors_are_sqlalchemys_and_the_connection_stays_usable(
    sqlite: AsyncEngine,
) -> None:
    sessions = session_factory(sqlite)
    async with sessions() as session, session.begin():
        await session.execute(insert(items).values(name="a"))
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            await session.execute(insert(items).values(name="a"))
    async with sessions() as session, session.begin():
        assert (await session.execute(select(items.c.name))).scalars().all() == ["a"]


async def test_streaming_results_keep_sqlalchemys_server_side_cursor(
    sqlite: AsyncEngine,
) -> None:
    async with session_factory(sqlite)() as session, session.begin():
        await session.execute(insert(items), [{"name": str(i)} for i in range(50)])
        streamed = await session.stream(select(items.c.id).order_by(items.c.id))
        assert [row.id async for row in streamed] == list(range(1, 51))


async def test_a_connection_returned_inside_a_transaction_is_rolled_back(
    sqlite: AsyncEngine,
) -> None:
    """The pool's reset-on-return is off for SQLite (a wasted trip after every commit); a
    connection that comes back still inside a transaction is rolled back all the same."""
    async with sqlite.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        await driver.execute("BEGIN")
        await driver.execute("INSERT INTO items (name) VALUES ('left over')")
        assert driver.in_transaction
    async with sqlite.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert not driver.in_transaction
        assert (await conn.execute(select(items))).all() == []
