"""The migrations build exactly the tables the code declares (on SQLite and PostgreSQL)."""

from __future__ import annotations

from fieldline_exchange.adapters.schema import metadata
from fieldline_exchange.entrypoints.main import MIGRATIONS
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.migrations import migration_drift

VERSION_TABLE = "alembic_version_exchange"  # migrations/env.py


async def test_migrations_match_the_declared_schema(db_factory: DatabaseFactory) -> None:
    url = await db_factory.create()
    assert await migration_drift(url, MIGRATIONS, metadata, VERSION_TABLE) == []
