"""Engines and sessions: SQLite reads do not take the write lock, writes still do; BEGIN runs
with a transaction's first statement; autocommit connections begin no transaction."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
import pytest_asyncio
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_kit.db import (
    autocommit,
    create_engine,
    read_only,
    read_session_factory,
    session_factory,
)

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


def verbs(statements: list[str]) -> list[str]:
    """The statements sqlite3 ran, by their first word (BEGIN IMMEDIATE in full)."""
    return [
        "BEGIN IMMEDIATE" if s.startswith("BEGIN IMMEDIATE") else s.split()[0] for s in statements
    ]


async def test_reads_begin_deferred_and_writes_begin_immediate(
    sqlite: AsyncEngine, support: ModuleType
) -> None:
    statements = support.trace_sqlite(sqlite)
    async with read_session_factory(sqlite)() as session, session.begin():
        assert await session.scalar(select(items.c.name)) == "one"
    async with session_factory(sqlite)() as session, session.begin():
        await session.execute(insert(items).values(id=2, name="two"))
    assert verbs(statements) == ["BEGIN", "SELECT", "COMMIT", "BEGIN IMMEDIATE", "INSERT", "COMMIT"]


async def test_begin_runs_in_the_first_statements_trip(
    sqlite: AsyncEngine, support: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sqlite.connect() as conn:
        await conn.execute(select(items))  # connected, pool warm
        await conn.rollback()
        driver = (await conn.get_raw_connection()).driver_connection
        trips = support.count_trips(driver, monkeypatch)
        await conn.begin()
        assert trips == [0] and not driver.in_transaction  # nothing ran yet
        await conn.execute(insert(items).values(id=2, name="two"))
        assert trips == [1] and driver.in_transaction  # BEGIN IMMEDIATE and the INSERT
        await conn.execute(select(items))
        await conn.commit()
        assert trips == [3]


async def test_the_write_lock_is_taken_by_the_first_statement(
    sqlite: AsyncEngine, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "db.sqlite3", timeout=0, isolation_level=None)
    try:
        async with sqlite.begin() as conn:
            other.execute("BEGIN IMMEDIATE")  # begun, but no statement yet: no lock taken
            other.execute("ROLLBACK")
            await conn.execute(insert(items).values(id=2, name="two"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # committed: free again
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_an_empty_transaction_makes_no_trip(
    sqlite: AsyncEngine, support: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements = support.trace_sqlite(sqlite)
    async with sqlite.connect() as conn:
        await conn.execute(select(items))
        await conn.commit()
        driver = (await conn.get_raw_connection()).driver_connection
        trips = support.count_trips(driver, monkeypatch)
        async with conn.begin():
            pass  # committed
        await conn.begin()
        await conn.rollback()
        async with session_factory(sqlite)(bind=conn) as session, session.begin():
            await session.connection()  # the session began on the connection
        assert trips == [0]
    assert trips == [0]  # back to the pool with nothing to reset
    assert verbs(statements) == ["BEGIN IMMEDIATE", "SELECT", "COMMIT"]


async def test_a_first_statement_that_cannot_begin_leaves_no_transaction(
    sqlite: AsyncEngine, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "db.sqlite3", timeout=0, isolation_level=None)
    try:
        async with sqlite.connect() as conn:
            raw = await conn.get_raw_connection()
            await raw.driver_connection.execute("PRAGMA busy_timeout=0")  # fail at once
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            await conn.begin()
            with pytest.raises(OperationalError, match="locked"):
                await conn.execute(insert(items).values(id=2, name="two"))
            assert not raw.driver_connection.in_transaction
            assert raw.dbapi_connection.begin_pending  # not begun: the INSERT did not run
            await conn.rollback()
            assert not raw.dbapi_connection.begin_pending
            other.execute("ROLLBACK")
            async with conn.begin():  # usable, and transactional again
                await conn.execute(insert(items).values(id=2, name="two"))
                assert raw.driver_connection.in_transaction
            assert not raw.driver_connection.in_transaction
            await raw.driver_connection.execute("PRAGMA busy_timeout=30000")
        async with read_session_factory(sqlite)() as session, session.begin():
            assert (await session.scalars(select(items.c.id).order_by(items.c.id))).all() == [1, 2]
    finally:
        other.close()


async def test_a_failed_first_statement_is_rolled_back_and_the_connection_reused(
    sqlite: AsyncEngine, support: ModuleType
) -> None:
    statements = support.trace_sqlite(sqlite)
    with pytest.raises(OperationalError):
        async with sqlite.begin() as conn:
            await conn.execute(text("INSERT INTO no_such_table VALUES (1)"))
    async with sqlite.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert not driver.in_transaction
        async with conn.begin():
            await conn.execute(insert(items).values(id=2, name="two"))
    # The BEGIN ran (a statement that fails to prepare still follows it), so ROLLBACK did.
    assert verbs(statements) == [
        "BEGIN IMMEDIATE",
        "ROLLBACK",
        "BEGIN IMMEDIATE",
        "INSERT",
        "COMMIT",
    ]


async def test_streaming_as_the_first_statement_begins_too(
    sqlite: AsyncEngine, support: ModuleType
) -> None:
    statements = support.trace_sqlite(sqlite)
    async with session_factory(sqlite)() as session, session.begin():
        streamed = await session.stream(select(items.c.id))
        assert [row.id async for row in streamed] == [1]
    assert verbs(statements) == ["BEGIN IMMEDIATE", "SELECT", "COMMIT"]


async def test_autocommit_connections_issue_no_begin(
    sqlite: AsyncEngine, support: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements = support.trace_sqlite(sqlite)
    async with autocommit(read_only(sqlite)) as conn:
        assert (await conn.scalar(select(items.c.name))) == "one"
        driver = (await conn.get_raw_connection()).driver_connection
        trips = support.count_trips(driver, monkeypatch)
        assert not driver.in_transaction
        await conn.execute(insert(items).values(id=2, name="two"))  # committed at once
        assert (await conn.scalars(select(items.c.id).order_by(items.c.id))).all() == [1, 2]
        await conn.commit()
        await conn.rollback()
        assert trips == [2]  # a trip per statement, none for COMMIT/ROLLBACK
    assert trips == [2]  # back to the pool with nothing to reset
    assert verbs(statements) == ["SELECT", "INSERT", "SELECT"]
    async with session_factory(sqlite)() as session, session.begin():
        await session.execute(insert(items).values(id=3, name="three"))  # transactional again
    assert verbs(statements)[3:] == ["BEGIN IMMEDIATE", "INSERT", "COMMIT"]


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


# ------------------------------------------------------------------------------ PostgreSQL
@pytest.mark.skipif(
    not os.environ.get("FIELDLINE_TEST_POSTGRES_URL"), reason="needs FIELDLINE_TEST_POSTGRES_URL"
)
async def test_a_dead_pooled_postgres_connection_is_replaced_on_checkout() -> None:
    """The kit's one-round-trip ping: a pooled connection the server ended (a restart, a
    failover) is dropped when it leaves the pool, and the statement runs on a new one."""
    url = os.environ["FIELDLINE_TEST_POSTGRES_URL"]
    engine = create_engine(url, pool_size=1)
    killer = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with killer.connect() as conn:
            ended = await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            assert ended.scalar_one() is True
        async with engine.connect() as conn:  # no error: the dead one failed its ping
            second = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await engine.dispose()
        await killer.dispose()


@pytest.mark.skipif(
    not os.environ.get("FIELDLINE_TEST_POSTGRES_URL"), reason="needs FIELDLINE_TEST_POSTGRES_URL"
)
async def test_numerics_travel_as_exact_text_on_postgres() -> None:
    """NUMERIC is bound as `str(Decimal)` and read as `Decimal(text)`: every value, in and out
    of typed columns, arrays included, comes back exactly (digits, scale, sign, exponents)."""
    engine = create_engine(os.environ["FIELDLINE_TEST_POSTGRES_URL"], pool_size=1)
    values = [
        Decimal("0"),
        Decimal("-0.00"),
        Decimal("123456789012345678.12"),
        Decimal("-0.000000001"),
        Decimal("1E+3"),
        Decimal("2.50"),
        10**30,
    ]
    try:
        async with engine.connect() as conn:
            for value in values:
                back = (await conn.execute(text("SELECT CAST(:v AS numeric)"), {"v": value})).one()
                assert back[0] == value and isinstance(back[0], Decimal), value
            scaled = await conn.execute(
                text("SELECT CAST(:v AS numeric(20, 2)), CAST(:a AS numeric[])"),
                {"v": Decimal("2.5"), "a": [Decimal("1.10"), Decimal("-3")]},
            )
            money, array = scaled.one()
            assert str(money) == "2.50"  # the column's scale, as PostgreSQL writes it
            assert array == [Decimal("1.10"), Decimal("-3")]
            assert [str(v) for v in array] == ["1.10", "-3"]
    finally:
        await engine.dispose()
