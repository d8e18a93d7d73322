"""The composition root every service builds on: its database, units of work, commit hooks.

A service's `bootstrap.py` subclasses `ServiceApp`, passing its unit-of-work class, kit tables
and event mapper, and adds what only it has (caches, clients of other services, use cases).
Entrypoints receive the app and reach everything through it; tests build it the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from google.protobuf.message import Message
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.db import create_engine, dispose, read_session_factory, session_factory
from fieldline_kit.logging import get_logger
from fieldline_kit.messaging.consumer import Handler
from fieldline_kit.settings import ServiceSettings
from fieldline_kit.sqlite_checkpoints import checkpoint_in_background
from fieldline_kit.sqlite_writers import queue_writers
from fieldline_kit.tables import KitTables
from fieldline_kit.uow import IntegrationEvent, MapEvents, UnitOfWork

U = TypeVar("U", bound=UnitOfWork)
S = TypeVar("S", bound=ServiceSettings)

Cleanup = Callable[[], Awaitable[None]]
# What a consumed event does, through the service's unit of work (see `consumer_handler`).
ApplyEvent = Callable[[U, EventEnvelope, Message], Awaitable[None]]

log = get_logger("fieldline.app")


class ServiceApp(Generic[S, U]):
    def __init__(
        self,
        settings: S,
        *,
        uow_class: Callable[..., U],
        tables: KitTables,
        mapper: MapEvents,
        clock: Clock = utcnow,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.tables = tables
        self.mapper = mapper
        self._uow_class = uow_class
        self.engine: AsyncEngine = create_engine(settings.database_url)
        checkpoint_in_background(self.engine)  # commits never checkpoint the SQLite WAL
        queue_writers(self.engine)  # SQLite writers of this process queue, first come first served
        # Write transactions (units of work, the relay, consumers).
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        # Read transactions: on SQLite a plain BEGIN, which neither waits for nor blocks writers.
        self.read_sessions: async_sessionmaker[AsyncSession] = read_session_factory(self.engine)
        # Called after a commit that wrote outbox rows (wakes the relay).
        self.on_commit: list[Callable[[], None]] = []
        # Called next with the integration events that commit wrote (e.g. drops cached data,
        # counts business facts); also after a consumer's commit (`consumer_handler`).
        self.after_commit: list[Callable[[Sequence[IntegrationEvent]], None]] = []
        # Closed on stop, last registered first, before the database.
        self.cleanup: list[Cleanup] = []

    def uow(self, causation_id: str = "") -> U:
        """A unit of work for one write transaction."""
        return self._uow_class(
            self.sessions,
            self.tables,
            self.mapper,
            clock=self.clock,
            on_commit=self._committed,
            after_commit=self._after_commit,
            causation_id=causation_id,
        )

    def read_uow(self) -> U:
        """A unit of work for queries only: the same repositories, a read transaction."""
        return self._uow_class(
            self.read_sessions, self.tables, self.mapper, clock=self.clock, read_only=True
        )

    def consumer_handler(self, apply: ApplyEvent[U]) -> Handler:
        """`apply(uow, envelope, message)` as an `EventConsumer` handler: on a unit of work
        that adopts the consumer's transaction (the one holding the event's inbox row), caused
        by the event; what it records goes to the outbox before that transaction commits. The
        consumer commits it: `after_commit` gets its events then (never if it rolls back), as
        it gets a unit of work's own commit's."""

        async def handle(session: AsyncSession, envelope: EventEnvelope, message: Message) -> None:
            uow = self.uow(causation_id=envelope.event_id).adopt(session)
            await apply(uow, envelope, message)
            await uow.flush_events()
            written = uow.written
            if written and self.after_commit:
                event.listen(
                    session.sync_session,
                    "after_commit",
                    lambda _session: self._after_commit(written),
                    once=True,
                )

        return handle

    def _committed(self) -> None:
        for callback in self.on_commit:
            callback()

    def _after_commit(self, events: Sequence[IntegrationEvent]) -> None:
        for callback in self.after_commit:
            callback(events)

    async def close(self) -> None:
        for step in reversed(self.cleanup):
            # One failing step (a peer already gone) must not keep the others or the database
            # from closing.
            try:
                await step()
            except Exception as exc:
                log.warning(
                    "cleanup step failed",
                    step=getattr(step, "__name__", repr(step)),
                    error=repr(exc),
                )
        await dispose(self.engine)
