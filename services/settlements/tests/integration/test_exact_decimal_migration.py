"""Revision 0002: settlements' money and quantities were integer units on SQLite already (in
BIGINT columns); the upgrade only declares them NUMERIC(p, s) and keeps every value, index and
constraint. PostgreSQL (NUMERIC all along) is left as it was.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import MetaData, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_kit.db import create_engine
from fieldline_kit.migrations import alembic_config, upgrade_async
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.migrations import placeholder
from fieldline_settlements.adapters import orm
from fieldline_settlements.entrypoints.main import MIGRATIONS

TABLES = [orm.invoices, orm.payments, orm.client_accounts, orm.tare_movements]
MONEY = [Decimal(v) for v in ("33.33", "-12.34", "999999999999.99", "0.01", "0.10", "0.00")]
QUANTITIES = [Decimal(v) for v in ("0.001", "1.255", "-2.000")]
# Amounts later revisions add (0007: each movement's balance after it, backfilled).
LATER = {("tare_movements", "balance_after")}


def _rows() -> dict[str, list[dict[str, Any]]]:
    money, quantities = iter(MONEY * 2), iter(QUANTITIES)
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        rows[table.name] = []
        for n in range(2 if table is not orm.tare_movements else 3):
            row: dict[str, Any] = {}
            for c in table.c:
                if (table.name, c.name) in LATER:
                    continue
                scale = getattr(c.type, "scale", None)
                if scale is not None:
                    row[c.name] = next(money if scale == 2 else quantities)
                else:
                    row[c.name] = placeholder(c, n + 1, f"k-{n}")
            rows[table.name].append(row)
    rows["client_accounts"][1]["credit_limit"] = None
    return rows


def _amounts(rows: dict[str, list[dict[str, Any]]]) -> dict[tuple[str, int, str], Any]:
    scaled = {(t.name, c.name) for t in TABLES for c in t.c if hasattr(c.type, "scale")} - LATER
    return {
        (name, i, column): value
        for name, table_rows in rows.items()
        for i, row in enumerate(table_rows)
        for column, value in row.items()
        if (name, column) in scaled
    }


async def _reflected_rows(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    old = MetaData()
    async with engine.connect() as conn:
        await conn.run_sync(old.reflect, only=[t.name for t in TABLES])
        found = {}
        for table in TABLES:
            t = old.tables[table.name]
            result = await conn.execute(select(t).order_by(*t.primary_key.columns))
            found[table.name] = [dict(r._mapping) for r in result]
    return found


async def _schema(engine: AsyncEngine) -> dict[str, str]:
    async with engine.connect() as conn:
        rows = await conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"
        )
        return {name: sql for name, sql in rows}


def _tables(schema: dict[str, str]) -> set[str]:
    return {name for name, sql in schema.items() if sql.startswith("CREATE TABLE")}


def _indexes(schema: dict[str, str], tables: set[str] | None = None) -> dict[str, str]:
    """The indexes (of `tables` only: the tables of a later revision aside)."""
    return {
        name: sql
        for name, sql in schema.items()
        if name.startswith("ix_")
        and (tables is None or sql.split(" ON ", 1)[1].split(" ", 1)[0] in tables)
    }


async def _check(url: str, *, sqlite: bool) -> None:
    await upgrade_async(url, MIGRATIONS, "0001")
    rows = _rows()
    # The old code wrote integer units on SQLite (BIGINT columns), Decimals on PostgreSQL.
    old_values = {
        name: [
            {
                k: int(v.scaleb(2 if name != "tare_movements" else 3))
                if sqlite and isinstance(v, Decimal)
                else v
                for k, v in row.items()
            }
            for row in table_rows
        ]
        for name, table_rows in rows.items()
    }
    engine = create_engine(url)
    try:
        old = MetaData()
        async with engine.begin() as conn:
            await conn.run_sync(old.reflect, only=[t.name for t in TABLES])
            for table in TABLES:
                await conn.execute(insert(old.tables[table.name]), old_values[table.name])
        before = await _schema(engine) if sqlite else {}

        await upgrade_async(url, MIGRATIONS, "head")

        async with engine.connect() as conn:
            got = {}
            for table in TABLES:
                result = await conn.execute(select(table).order_by(*table.primary_key.columns))
                got[table.name] = [dict(r._mapping) for r in result]
        assert _amounts(got) == _amounts(rows)
        assert _amounts(await _reflected_rows(engine)) == _amounts(old_values)
        if sqlite:
            after = await _schema(engine)
            assert "amount NUMERIC(18, 2) NOT NULL" in after["invoices"]
            assert "open_amount NUMERIC(18, 2) NOT NULL" in after["invoices"]
            assert "quantity NUMERIC(18, 3) NOT NULL" in after["tare_movements"]
            assert "credit_limit NUMERIC(18, 2)," in after["client_accounts"]
            assert "BIGINT" not in after["payments"]
            # Every index kept; besides them, only those later revisions add to these tables
            # (and 0006 replaces the payments' (client_id, date) by (client_id, date, id)).
            later = {
                "ix_credit_reservations_expires_at",  # 0005: the standings sweep's
                "ix_payments_date",  # 0006: the payments registry's
                "ix_payments_client_date_id",
                "ix_payments_collector_date",
                "ix_payments_handover",
                "ix_tare_movements_date",  # 0007: the tare registry's
                "ix_tare_movements_client_date",
            }
            replaced = {"ix_payments_client_date"}
            kept = _indexes(after, _tables(before))
            assert {k: v for k, v in kept.items() if k not in later} == {
                k: v for k, v in _indexes(before).items() if k not in replaced
            }
            assert later <= set(kept)
            assert "UNIQUE (document_id, container_type, direction)" in after["tare_movements"]
            assert "WHERE open_amount != 0" in after["ix_invoices_open"]
            async with engine.connect() as conn:
                kinds = await conn.exec_driver_sql(
                    "SELECT DISTINCT typeof(amount) || typeof(open_amount) FROM invoices"
                )
                assert kinds.scalars().all() == ["integerinteger"]

        await asyncio.to_thread(command.downgrade, alembic_config(url, MIGRATIONS), "0001")
        assert _amounts(await _reflected_rows(engine)) == _amounts(old_values)
        if sqlite:
            assert "amount BIGINT NOT NULL" in (await _schema(engine))["invoices"]
    finally:
        await engine.dispose()


async def test_sqlite_integer_units_are_kept_and_declared_numeric(tmp_path: Path) -> None:
    await _check(f"sqlite:///{tmp_path / 'settlements.sqlite3'}", sqlite=True)


async def test_upgrade_keeps_the_values_on_the_suite_backend(db_factory: DatabaseFactory) -> None:
    if db_factory.backend == "sqlite":
        pytest.skip("covered by the SQLite test above")
    await _check(await db_factory.create(), sqlite=False)
