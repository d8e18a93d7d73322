"""Fixtures of the gateway's integration tests beside the harness's system."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_gateway.adapters.schema import metadata
from fieldline_kit.db import create_engine, dispose
from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats


@pytest_asyncio.fixture(scope="module")
async def nats_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedNats]:
    """A NATS server per test module (instead of the session's shared one): a gateway started
    here replays the clients, orders and settlements streams from their start — its durables
    are new — so the streams must hold this module's company only. On the shared server they
    hold the whole suite's events, and how long a test waited for its gateway to catch up
    depended on the tests run before it."""
    server = EmbeddedNats(store_dir=Path(tmp_path_factory.mktemp("nats-gateway")))
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def engine(db_factory: DatabaseFactory) -> AsyncIterator[AsyncEngine]:
    """A throwaway database holding the gateway's tables (as declared: the migrations are
    checked against them in test_migrations)."""
    engine = create_engine(await db_factory.create())
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await dispose(engine)
