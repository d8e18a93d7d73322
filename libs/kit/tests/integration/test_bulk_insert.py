"""RowsInsert writes exactly what SQLAlchemy's own INSERT writes, on the suite's database.

Each test runs on SQLite, or on PostgreSQL when FIELDLINE_TEST_POSTGRES_URL is set. The same
rows go into two tables of the same shape, one through `insert(table)` with parameter dicts and
one through `RowsInsert` with tuples; what the database then holds (read raw, below
SQLAlchemy's result processing) must be the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from fieldline_kit.bulk_insert import RowsInsert
from fieldline_kit.db import create_engine, session_factory
from fieldline_kit.db_types import ExactDecimal
from fieldline_kit.tables import BigId
from fieldline_kit.testing.databases import DatabaseFactory

metadata = MetaData()


def _shape(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String(36), primary_key=True),
        Column("n", Integer, nullable=False),
        Column("big", BigInteger, nullable=True),
        Column("money", ExactDecimal(18, 2), nullable=False),
        Column("qty", ExactDecimal(18, 3), nullable=True),
        Column("day", Date, nullable=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("doc", JSON, nullable=False),
        Column("note", Text, nullable=False),
        Column("flag", Boolean, nullable=False),
        Column("blob", LargeBinary, nullable=True),
    )


plain = _shape("plain")
fast = _shape("fast")
log = Table(
    "log",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("what", String(20), nullable=False),
)
COLUMNS = tuple(c.key for c in plain.c)
MSK = timezone(timedelta(hours=3))


def rows(count: int, start: int = 0) -> list[tuple[Any, ...]]:
    return [
        (
            f"id-{i:05d}",
            i,
            None if i % 3 else 2**40 + i,
            Decimal(i) / 100 + Decimal("1000.5"),
            None if i % 2 else Decimal("0.125") * i,
            None if i % 5 == 1 else date(2024, 1, 1) + timedelta(days=i),
            datetime(2024, 5, 15, 9, 30, 15, 123456, tzinfo=UTC if i % 2 else MSK)
            + timedelta(minutes=i),
            {"k": i, "list": [1, "два", None], "nested": {"x": str(i)}},
            "ёжик 'quoted' $1 ? %s {}" + str(i),
            bool(i % 2),
            None if i % 4 else bytes([i % 256, 0, 255]),
        )
        for i in range(start, start + count)
    ]


@pytest_asyncio.fixture
async def engine(db_factory: DatabaseFactory) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(await db_factory.create())
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


def _values(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(COLUMNS, row, strict=True))


async def _raw(engine: AsyncEngine, table: Table) -> list[tuple[Any, ...]]:
    columns = ", ".join(COLUMNS)
    async with engine.connect() as conn:
        result = await conn.exec_driver_sql(f"SELECT {columns} FROM {table.name} ORDER BY id")
        return [tuple(r) for r in result.all()]


async def test_rows_are_stored_as_sqlalchemy_stores_them(engine: AsyncEngine) -> None:
    data = rows(57)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await session.execute(insert(plain), [_values(r) for r in data])
        assert await RowsInsert(fast).execute(session, data) == []
    stored = await _raw(engine, fast)
    assert stored == await _raw(engine, plain)
    assert len(stored) == 57
    async with sessions() as session:
        typed = (await session.execute(select(fast).order_by(fast.c.id))).all()
    assert [tuple(r) for r in typed][5][3] == Decimal("1000.55")
    assert typed[4].doc == {"k": 4, "list": [1, "два", None], "nested": {"x": "4"}}
    if engine.dialect.name == "sqlite":
        assert stored[5][3] == 100055  # integer units, as ExactDecimal stores them


async def test_values_repeated_from_row_to_row_are_stored_as_each_alone(
    engine: AsyncEngine,
) -> None:
    """A value object that fills a column in row after row is bound once and reused: runs of
    the same object, broken by other values and resumed, store exactly what they would alone."""
    at = datetime(2024, 5, 15, 9, 30, tzinfo=MSK)
    zero, doc = Decimal("0.000"), {"shared": [1, 2]}
    data = []
    for i, r in enumerate(rows(12)):
        same = i % 4 != 3  # every fourth row breaks the run with values of its own
        data.append(
            (
                *r[:4],
                zero if same else r[4],
                r[5],
                at if same else r[6],
                doc if same else r[7],
                *r[8:],
            )
        )
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await session.execute(insert(plain), [_values(r) for r in data])
        await RowsInsert(fast).execute(session, data)
    stored = await _raw(engine, fast)
    assert stored == await _raw(engine, plain)
    assert len({row[6] for row in stored}) == 1 + 3  # the shared timestamp and three others


async def test_returning_with_on_conflict_tells_which_rows_went_in(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    ids = RowsInsert(fast, COLUMNS, on_conflict_do_nothing=("id",), returning=("id",))
    async with sessions() as session, session.begin():
        first = await ids.execute(session, rows(10))
    assert sorted(first) == [(f"id-{i:05d}",) for i in range(10)]
    async with sessions() as session, session.begin():
        again = await ids.execute(session, rows(15, start=5))
    assert sorted(again) == [(f"id-{i:05d}",) for i in range(10, 20)]
    assert [r[1] for r in await _raw(engine, fast)] == list(range(20))


async def test_many_rows_take_several_statements(engine: AsyncEngine) -> None:
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT"):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    sessions = session_factory(engine)
    ids = RowsInsert(fast, on_conflict_do_nothing=("id",), returning=("id",), max_rows=7)
    async with sessions() as session, session.begin():
        returned = await ids.execute(session, rows(20))
        await RowsInsert(log, ("what",)).execute(session, [("a",), ("b",), ("c",)])
        await RowsInsert(plain).execute(session, rows(20))
    assert len(returned) == 20
    # 7 + 7 + 6 rows with RETURNING; without, one executemany per insert
    assert [s.count("), (") + 1 for s in statements[:3]] == [7, 7, 6]
    assert len(statements) == 5
    assert await _raw(engine, fast) == await _raw(engine, plain)
    async with engine.connect() as conn:
        logged = (await conn.execute(select(log.c.what).order_by(log.c.seq))).scalars().all()
    assert logged == ["a", "b", "c"]


async def test_values_are_checked_by_their_types(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    bad = list(rows(2))
    bad[1] = (*bad[1][:3], Decimal("0.001"), *bad[1][4:])
    floaty = rows(1)[0]
    floaty = (*floaty[:3], 0.5, *floaty[4:])
    if engine.dialect.name == "sqlite":  # ExactDecimal's integer units: checked when bound
        for wrong, error, message in [
            (bad, ValueError, "more than 2 decimal places"),
            ([floaty], TypeError, "money is never float"),
        ]:
            for write in (
                RowsInsert(fast).execute,
                RowsInsert(fast, returning=("id",)).execute,
                lambda s, r: s.execute(
                    insert(plain), [dict(zip(COLUMNS, x, strict=True)) for x in r]
                ),
            ):
                with pytest.raises(StatementError, match=message) as raised:
                    async with sessions() as session, session.begin():
                        await write(session, wrong)
                assert isinstance(raised.value.orig, error)
    with pytest.raises(StatementError, match="a row of 3 values for 11 columns"):
        async with sessions() as session, session.begin():
            await RowsInsert(fast).execute(session, [("a", 1, 2)])
    async with sessions() as session, session.begin():
        await RowsInsert(fast).execute(session, rows(1))
    with pytest.raises(IntegrityError):  # without ON CONFLICT a duplicate is an error
        async with sessions() as session, session.begin():
            await RowsInsert(fast).execute(session, rows(1))
    assert len(await _raw(engine, fast)) == 1


async def test_nothing_to_insert_sends_nothing(engine: AsyncEngine) -> None:
    async with AsyncSession(engine) as session:
        assert await RowsInsert(fast, returning=("id",)).execute(session, []) == []
        assert not session.in_transaction()


def test_unknown_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="fast has no column"):
        RowsInsert(fast, ("id", "nope"))
