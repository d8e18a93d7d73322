"""Composition root: builds the real adapters once and hands them to the entrypoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.db import create_engine, dispose, session_factory
from fieldline_kit.sqlite_checkpoints import checkpoint_in_background
from fieldline_kit.sqlite_writers import queue_writers
from fieldline_settlements.adapters import orm
from fieldline_settlements.adapters.event_mapper import make_mapper
from fieldline_settlements.adapters.repository import SettlementsUnitOfWork
from fieldline_settlements.domain.policy import DebtPolicy
from fieldline_settlements.service_layer.handlers import Config
from fieldline_settlements.settings import SettlementsSettings, default_policy

SERVICE = "settlements"


@dataclass
class App:
    settings: SettlementsSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = utcnow
    # Called after a commit that wrote outbox rows (wakes the relay).
    on_commit: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._mapper = make_mapper(self.settings.currency)
        self._zone = ZoneInfo(self.settings.timezone)
        self.config = Config(
            currency=self.settings.currency,
            reservation_hours=self.settings.reservation_hours,
            default_terms_days=self.settings.default_payment_terms_days,
            default_policy=default_policy(self.settings),
        )

    @property
    def currency(self) -> str:
        return self.settings.currency

    @property
    def default_policy(self) -> DebtPolicy:
        return self.config.default_policy

    def today(self) -> date:
        """The company's business day now."""
        return self.clock().astimezone(self._zone).date()

    def uow(self, causation_id: str = "") -> SettlementsUnitOfWork:
        return SettlementsUnitOfWork(
            self.sessions,
            orm.kit,
            self._mapper,
            clock=self.clock,
            on_commit=self._committed,
            causation_id=causation_id,
        )

    def _committed(self) -> None:
        for callback in self.on_commit:
            callback()

    async def close(self) -> None:
        await dispose(self.engine)


def bootstrap(settings: SettlementsSettings, *, clock: Clock = utcnow) -> App:
    engine = create_engine(settings.database_url)
    checkpoint_in_background(engine)  # commits never checkpoint the SQLite WAL
    queue_writers(engine)
    return App(settings=settings, engine=engine, sessions=session_factory(engine), clock=clock)
