"""The migrations build exactly the tables the code declares (on SQLite and PostgreSQL), and
those that change existing rows change them as they say."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import MetaData, insert, inspect, select

from fieldline_clients.adapters import orm
from fieldline_clients.adapters.orm import metadata
from fieldline_clients.entrypoints.main import MIGRATIONS
from fieldline_kit.db import create_engine
from fieldline_kit.migrations import alembic_config, upgrade_async
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.migrations import migration_drift, placeholder


async def test_migrations_match_the_declared_schema(db_factory: DatabaseFactory) -> None:
    url = await db_factory.create()
    assert await migration_drift(url, MIGRATIONS, metadata, "alembic_version_clients") == []


async def test_0004_gives_existing_clients_an_empty_external_id_and_goes_back(
    db_factory: DatabaseFactory,
) -> None:
    """Clients written before revision 0004 get external_id '' (many of them: the unique index
    leaves '' out); the downgrade drops the column and its index again."""
    url = await db_factory.create()
    await upgrade_async(url, MIGRATIONS, "0003")
    engine = create_engine(url)
    try:
        old = MetaData()
        async with engine.begin() as conn:
            await conn.run_sync(old.reflect, only=["clients"])
            rows = [
                {c.name: placeholder(c, 1, f"c-{n}") for c in old.tables["clients"].c}
                for n in range(2)
            ]
            await conn.execute(insert(old.tables["clients"]), rows)
        await upgrade_async(url, MIGRATIONS)
        async with engine.connect() as conn:
            found = await conn.execute(select(orm.clients.c.id, orm.clients.c.external_id))
            assert sorted(found.all()) == [("c-0", ""), ("c-1", "")]
        await asyncio.to_thread(command.downgrade, alembic_config(url, MIGRATIONS), "0003")
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("clients")}
            )
            assert "external_id" not in columns and "inn" in columns
    finally:
        await engine.dispose()
