"""The exchange in front of real clients, orders and settlements, shared by the modules of
this package that need no settings of their own (one system per test session's package:
each module's data is its own partners' and its own ids')."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats

from .exchange_harness import Exchange, exchange_system


@pytest_asyncio.fixture(scope="package")
async def nats_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedNats]:
    """A NATS server of this package's own (instead of the session's shared one): the
    exchange's export journals replay the orders, settlements and clients streams from their
    start, which must hold this package's events only — on the shared server they hold the
    whole suite's, and how long an export waited depended on the tests run before it."""
    server = EmbeddedNats(store_dir=Path(tmp_path_factory.mktemp("nats-exchange")))
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture(scope="package")
async def system(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[Exchange]:
    async with exchange_system(db_factory, nats_server) as running:
        yield running
