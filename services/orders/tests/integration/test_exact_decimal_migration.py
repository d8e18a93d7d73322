"""Revision 0003: money, quantities and percents written the old way (a Decimal bound as a float
on SQLite) come out of the upgrade as exact integer units; PostgreSQL is left as it was.

The old rows are written through tables reflected from the database at revision 0002, i.e. with
plain `Numeric` columns: exactly what the code before `ExactDecimal` bound.
"""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import (
    MetaData,
    func,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_kit.db import create_engine
from fieldline_kit.migrations import alembic_config, upgrade_async
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.migrations import placeholder
from fieldline_orders.adapters import orm, orm_feed
from fieldline_orders.entrypoints.main import MIGRATIONS

TABLES = [orm.orders, orm.order_lines, orm.stock_levels, orm_feed.feed_shelf_counts]
# Columns added after revision 0002 (not in the old rows; written exactly from the start).
LATER = {("order_lines", "promotion_discount")}


def _exact_columns(table: Any) -> list[Any]:
    """The table's numeric columns at revision 0002."""
    return [c for c in table.c if hasattr(c.type, "scale") and (table.name, c.name) not in LATER]


# (precision, scale) -> values: money, quantities, percents
SAMPLES = {
    (18, 2): [Decimal(v) for v in ("33.33", "-12.34", "999999999999.99", "0.01", "0.10", "5", "0")],
    (18, 3): [Decimal(v) for v in ("0.001", "1.255", "2", "-0.5", "123456789.999", "0.010")],
    (7, 3): [Decimal(v) for v in ("12.5", "20", "0.001", "9999.999", "3.333")],
}


def _sample_rows() -> dict[str, list[dict[str, Any]]]:
    """A row per table (two for the sums) with a different exact value in every numeric column."""
    values = {scale: itertools.cycle(samples) for scale, samples in SAMPLES.items()}
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        rows[table.name] = []
        for n in range(2):
            row: dict[str, Any] = {}
            for c in table.c:
                if (table.name, c.name) in LATER:
                    continue
                if hasattr(c.type, "scale"):
                    row[c.name] = next(values[c.type.precision, c.type.scale])  # type: ignore[attr-defined]
                else:  # order_lines → orders
                    row[c.name] = placeholder(c, n + 1, f"k-{n}" if c.primary_key else "o-1")
            rows[table.name].append(row)
    rows["feed_shelf_counts"][1]["shelf_quantity"] = None
    return rows


async def _run_alembic(url: str, fn: Any, revision: str) -> None:
    await asyncio.to_thread(fn, alembic_config(url, MIGRATIONS), revision)


async def _write_the_old_way(engine: AsyncEngine, rows: dict[str, list[dict[str, Any]]]) -> None:
    old = MetaData()
    async with engine.begin() as conn:
        await conn.run_sync(old.reflect, only=[t.name for t in TABLES])
        for table in TABLES:
            await conn.execute(insert(old.tables[table.name]), rows[table.name])


async def _read_exact(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as conn:
        for table in TABLES:
            result = await conn.execute(select(table).order_by(*table.primary_key.columns))
            found[table.name] = [dict(r._mapping) for r in result]
    return found


def _numeric_values(rows: dict[str, list[dict[str, Any]]]) -> dict[tuple[str, int, str], Any]:
    return {
        (name, i, column): value
        for name, table_rows in rows.items()
        for i, row in enumerate(table_rows)
        for column, value in row.items()
        if (name, column) not in LATER
        and (isinstance(value, Decimal) or (value is None and column == "shelf_quantity"))
    }


def _units(rows: dict[str, list[dict[str, Any]]]) -> dict[tuple[str, int, str], Any]:
    """What SQLite must hold: (value × 10^scale, 'integer'), or (None, 'null')."""
    scales = {(t.name, c.name): c.type.scale for t in TABLES for c in _exact_columns(t)}
    return {
        (name, i, column): (None, "null")
        if value is None
        else (int(value.scaleb(scales[name, column])), "integer")
        for (name, i, column), value in _numeric_values(rows).items()
    }


async def _stored_units(conn: Any) -> dict[tuple[str, int, str], Any]:
    stored = {}
    for table in TABLES:
        columns = [c.name for c in _exact_columns(table)]
        keys = ", ".join(c.name for c in table.primary_key.columns)
        sql = ", ".join(f"{c}, typeof({c})" for c in columns)
        result = await conn.exec_driver_sql(f"SELECT {sql} FROM {table.name} ORDER BY {keys}")
        for i, row in enumerate(result):
            for j, column in enumerate(columns):
                stored[table.name, i, column] = (row[2 * j], row[2 * j + 1])
    return stored


async def _check_upgrade(url: str, *, sqlite: bool) -> None:
    await upgrade_async(url, MIGRATIONS, "0002")
    rows = _sample_rows()
    engine = create_engine(url)
    try:
        await _write_the_old_way(engine, rows)
        if sqlite:
            async with engine.connect() as conn:
                raw = (await conn.exec_driver_sql("SELECT typeof(net_total) FROM orders")).scalar()
            assert raw == "real"  # 33.33 as a float: the representation being migrated

        await upgrade_async(url, MIGRATIONS, "head")

        expected = _numeric_values(rows)
        got = _numeric_values(await _read_exact(engine))
        assert got == expected
        assert all(v is None or isinstance(v, Decimal) for v in got.values())
        ol = orm.order_lines
        async with engine.connect() as conn:
            sums = (
                await conn.execute(select(func.sum(ol.c.unit_price), func.sum(ol.c.quantity)))
            ).one()
            assert tuple(sums) == (
                sum(r["unit_price"] for r in rows["order_lines"]),
                sum(r["quantity"] for r in rows["order_lines"]),
            )
            if sqlite:
                assert await _stored_units(conn) == _units(rows)
    finally:
        await engine.dispose()

    # And back: the old representation again (floats on SQLite), the same values.
    await _run_alembic(url, command.downgrade, "0002")
    engine = create_engine(url)
    try:
        old = MetaData()
        async with engine.connect() as conn:
            await conn.run_sync(old.reflect, only=[t.name for t in TABLES])
            back: dict[str, list[dict[str, Any]]] = {}
            for table in TABLES:
                t = old.tables[table.name]
                result = await conn.execute(select(t).order_by(*t.primary_key.columns))
                back[table.name] = [dict(r._mapping) for r in result]
    finally:
        await engine.dispose()
    assert _numeric_values(back) == _numeric_values(rows)


async def test_sqlite_old_values_become_exact_integer_units(tmp_path: Path) -> None:
    await _check_upgrade(f"sqlite:///{tmp_path / 'orders.sqlite3'}", sqlite=True)


async def test_upgrade_keeps_the_values_on_the_suite_backend(db_factory: DatabaseFactory) -> None:
    if db_factory.backend == "sqlite":
        pytest.skip("covered by the SQLite test above")
    await _check_upgrade(await db_factory.create(), sqlite=False)
