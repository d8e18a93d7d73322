"""Fixtures of the gateway's integration tests beside the harness's system."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_gateway.adapters.schema import metadata
from fieldline_kit.db import create_engine, dispose
from fieldline_kit.testing.databases import DatabaseFactory


@pytest_asyncio.fixture
async def engine(db_factory: DatabaseFactory) -> AsyncIterator[AsyncEngine]:
    """A throwaway database holding the gateway's tables (as declared: the migrations are
    checked against them in test_migrations)."""
    engine = create_engine(await db_factory.create())
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await dispose(engine)
