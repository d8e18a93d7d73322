"""Unit of work over an async SQLAlchemy session, with the transactional outbox built in.

Aggregates record domain events in `.events`; repositories register the aggregates they touch
with `uow.track()`. `commit()` turns those events into outbox rows (through the service's
`EventMapper`) inside the same transaction as the state change, so a fact is published if and
only if the change committed. Leaving the block without `commit()` rolls back.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

from google.protobuf import any_pb2, timestamp_pb2
from google.protobuf.message import Message
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fieldline.common.v1 import event_envelope_pb2
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.errors import InvalidArgument
from fieldline_kit.logging import correlation_id
from fieldline_kit.tables import KitTables


@dataclass(frozen=True)
class IntegrationEvent:
    """A published fact: the proto message plus where it goes and what it is about."""

    subject: str
    message: Message
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int


class HasEvents(Protocol):
    events: list[Any]


EventMapper = Callable[[Any], Iterable[IntegrationEvent]]


class UnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: KitTables,
        mapper: EventMapper,
        *,
        clock: Clock = utcnow,
        on_commit: Callable[[], None] | None = None,
        causation_id: str = "",
    ) -> None:
        self._sessions = sessions
        self._tables = tables
        self._mapper = mapper
        self._on_commit = on_commit
        self.clock = clock
        self.causation_id = causation_id
        self._seen: list[HasEvents] = []
        self._session: AsyncSession | None = None
        self._wrote_outbox = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        await self._session.begin()
        self._seen = []
        self._wrote_outbox = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if session.in_transaction():
                await session.rollback()
        finally:
            # Shielded so a cancelled request never leaks a pooled connection mid-transaction.
            await asyncio.shield(session.close())
            self._session = None

    def adopt(self, session: AsyncSession) -> Self:
        """Work inside a transaction someone else owns (e.g. an EventConsumer handler's).

        The owner begins, commits and closes it; call `flush_events()` before handing control
        back so the outbox rows commit together with the owner's transaction (and its inbox
        row). `on_commit` is not called: the relay picks the rows up on its next poll.
        """
        self._session = session
        self._seen = []
        self._wrote_outbox = False
        return self

    def track(self, aggregate: HasEvents) -> None:
        if not any(a is aggregate for a in self._seen):
            self._seen.append(aggregate)

    async def flush_events(self) -> None:
        """Write the tracked aggregates' pending events to the outbox (part of this tx)."""
        rows = []
        now = self.clock()
        for aggregate in self._seen:
            while aggregate.events:
                for ev in self._mapper(aggregate.events.pop(0)):
                    rows.append(self._outbox_row(ev, now))
        if rows:
            await self.session.execute(insert(self._tables.outbox), rows)
            self._wrote_outbox = True

    def _outbox_row(self, ev: IntegrationEvent, now: Any) -> dict[str, Any]:
        event_id = str(uuid.uuid4())
        payload = any_pb2.Any()
        payload.Pack(ev.message)
        occurred = timestamp_pb2.Timestamp()
        occurred.FromDatetime(now)
        envelope = event_envelope_pb2.EventEnvelope(
            event_id=event_id,
            occurred_at=occurred,
            aggregate_type=ev.aggregate_type,
            aggregate_id=ev.aggregate_id,
            aggregate_version=ev.aggregate_version,
            correlation_id=correlation_id.get(),
            causation_id=self.causation_id,
            payload=payload,
        )
        return {
            "event_id": event_id,
            "subject": ev.subject,
            "payload": envelope.SerializeToString(),
            "aggregate_type": ev.aggregate_type,
            "aggregate_id": ev.aggregate_id,
            "aggregate_version": ev.aggregate_version,
            "created_at": now,
            "attempts": 0,
        }

    async def commit(self) -> None:
        await self.flush_events()
        await self.session.commit()
        if self._wrote_outbox and self._on_commit is not None:
            self._on_commit()

    async def rollback(self) -> None:
        await self.session.rollback()

    # -- idempotency -------------------------------------------------------------------
    async def recorded_response(self, key: str, fingerprint: str) -> bytes | None:
        """The stored response of an earlier request with this key, if any.

        Reusing a key for a different request is the caller's bug; it is refused rather than
        answered with a response that belongs to another request.
        """
        t = self._tables.idempotency
        row = (
            await self.session.execute(select(t.c.fingerprint, t.c.response).where(t.c.key == key))
        ).first()
        if row is None:
            return None
        if row.fingerprint != fingerprint:
            raise InvalidArgument("request_id", "was already used for a different request")
        return bytes(row.response)

    async def record_response(self, key: str, fingerprint: str, response: bytes) -> None:
        await self.session.execute(
            insert(self._tables.idempotency).values(
                key=key, fingerprint=fingerprint, response=response, created_at=self.clock()
            )
        )


def fingerprint(message: Message) -> str:
    """Stable digest of a request, used to tell a retry from a different request."""
    return hashlib.sha256(message.SerializeToString(deterministic=True)).hexdigest()
