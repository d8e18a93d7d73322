"""The exchange in front of real clients, orders and settlements, shared by the modules of
this package that need no settings of their own (one system per test session's package:
each module's data is its own partners' and its own ids')."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from fieldline_kit.testing.databases import DatabaseFactory
from fieldline_kit.testing.nats_server import EmbeddedNats

from .exchange_harness import Exchange, exchange_system


@pytest_asyncio.fixture(scope="package")
async def system(db_factory: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[Exchange]:
    async with exchange_system(db_factory, nats_server) as running:
        yield running
