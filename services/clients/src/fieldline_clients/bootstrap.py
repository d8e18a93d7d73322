"""Composition root: builds the real adapters once and hands them to the entrypoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fieldline_clients.adapters import orm
from fieldline_clients.adapters.event_mapper import to_integration
from fieldline_clients.adapters.repository import ClientsUnitOfWork
from fieldline_clients.settings import ClientsSettings
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.db import create_engine, session_factory

SERVICE = "clients"


@dataclass
class App:
    settings: ClientsSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = utcnow
    # Called after a commit that wrote outbox rows (wakes the relay).
    on_commit: list[Callable[[], None]] = field(default_factory=list)

    def uow(self) -> ClientsUnitOfWork:
        return ClientsUnitOfWork(
            self.sessions, orm.kit, to_integration, clock=self.clock, on_commit=self._committed
        )

    def _committed(self) -> None:
        for callback in self.on_commit:
            callback()

    async def close(self) -> None:
        await self.engine.dispose()


def bootstrap(settings: ClientsSettings, *, clock: Clock = utcnow) -> App:
    engine = create_engine(settings.database_url)
    return App(settings=settings, engine=engine, sessions=session_factory(engine), clock=clock)
