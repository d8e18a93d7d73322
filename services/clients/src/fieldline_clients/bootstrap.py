"""Composition root: builds the real adapters once and hands them to the entrypoints."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fieldline_clients.adapters import orm
from fieldline_clients.adapters.event_mapper import to_integration
from fieldline_clients.adapters.plan_cache import PlanCache
from fieldline_clients.adapters.repository import ClientsUnitOfWork
from fieldline_clients.settings import ClientsSettings
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.db import create_engine, dispose, read_session_factory, session_factory
from fieldline_kit.sqlite_checkpoints import checkpoint_in_background
from fieldline_kit.uow import IntegrationEvent

SERVICE = "clients"


@dataclass
class App:
    settings: ClientsSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # Sessions for queries only: on SQLite they do not take the write lock.
    read_sessions: async_sessionmaker[AsyncSession]
    plan_cache: PlanCache
    clock: Clock = utcnow
    # Called after a commit that wrote outbox rows (wakes the relay).
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    # Called next with the integration events that commit wrote (drops stale cached plans).
    after_commit: list[Callable[[Sequence[IntegrationEvent]], None]] = field(default_factory=list)

    def uow(self) -> ClientsUnitOfWork:
        return ClientsUnitOfWork(
            self.sessions,
            orm.kit,
            to_integration,
            clock=self.clock,
            on_commit=self._committed,
            after_commit=self._after_commit,
        )

    def _committed(self) -> None:
        for callback in self.on_commit:
            callback()

    def _after_commit(self, events: Sequence[IntegrationEvent]) -> None:
        for callback in self.after_commit:
            callback(events)

    async def close(self) -> None:
        await dispose(self.engine)


def bootstrap(settings: ClientsSettings, *, clock: Clock = utcnow) -> App:
    engine = create_engine(settings.database_url)
    checkpoint_in_background(engine)  # commits never checkpoint the SQLite WAL
    plan_cache = PlanCache(
        settings.plan_cache_seconds,
        max_entries=settings.plan_cache_entries,
        max_bytes=settings.plan_cache_megabytes * 1024 * 1024,
    )
    app = App(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        read_sessions=read_session_factory(engine),
        plan_cache=plan_cache,
        clock=clock,
    )
    if plan_cache.enabled:
        app.after_commit.append(plan_cache.committed)
    return app
