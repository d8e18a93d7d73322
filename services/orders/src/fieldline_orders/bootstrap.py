"""Composition root: builds the real adapters once and hands them to the entrypoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.db import create_engine, dispose, read_session_factory, session_factory
from fieldline_kit.sqlite_checkpoints import checkpoint_in_background
from fieldline_kit.sqlite_writers import queue_writers
from fieldline_kit.uow import UnitOfWork
from fieldline_orders.adapters import orders_events  # noqa: F401 - registers the event mappers
from fieldline_orders.adapters.catalog_cache import CatalogCache
from fieldline_orders.adapters.event_mapper import to_integration
from fieldline_orders.adapters.schema import kit
from fieldline_orders.settings import OrdersSettings

SERVICE = "orders"


@dataclass
class App:
    settings: OrdersSettings
    engine: AsyncEngine
    # Write transactions (units of work, relay, consumer).
    sessions: async_sessionmaker[AsyncSession]
    # Read transactions: never write through them (on SQLite they take no write lock).
    read_sessions: async_sessionmaker[AsyncSession]
    # The debt-policy check (adapters/settlements_client.py); injected so tests can point it
    # at a real settlements service or at an unreachable address.
    credit: Any = None
    clock: Clock = utcnow
    # Products, groups and price lists as of the catalog generation (checked on each use).
    catalog_cache: CatalogCache = field(default_factory=CatalogCache)
    on_commit: list[Callable[[], None]] = field(default_factory=list)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(
            self.sessions, kit, to_integration, clock=self.clock, on_commit=self._committed
        )

    def _committed(self) -> None:
        for callback in self.on_commit:
            callback()

    async def close(self) -> None:
        await dispose(self.engine)


def bootstrap(settings: OrdersSettings, *, clock: Clock = utcnow) -> App:
    engine = create_engine(settings.database_url)
    checkpoint_in_background(engine)  # commits never checkpoint the SQLite WAL
    queue_writers(engine)
    return App(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        read_sessions=read_session_factory(engine),
        clock=clock,
    )
