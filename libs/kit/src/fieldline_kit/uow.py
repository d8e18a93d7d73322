"""Unit of work over an async SQLAlchemy session, with the transactional outbox built in.

Aggregates record domain events in `.events`; repositories (`uow.<name>`, attached by a
service's subclass in `_attach`, see `fieldline_kit.repository`) register the aggregates they
touch with `uow.track()`. `commit()` turns those events into outbox rows (through the service's
`EventMapper`) inside the same transaction as the state change, so a fact is published if and
only if the change committed. Leaving the block without `commit()` rolls back.

A read-only unit of work (`read_only=True`, on the read session factory) serves queries through
the same repositories; it can never commit.

After a commit that wrote outbox rows, `on_commit()` is called (it wakes the relay) and then
`after_commit(events)` with the integration events that commit wrote, in order: what this
process must react to at once (e.g. invalidating its caches) without waiting for the relay
and NATS to bring the same events back.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Protocol, Self

from google.protobuf import any_pb2, timestamp_pb2
from google.protobuf.message import Message
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fieldline.common.v1 import event_envelope_pb2
from fieldline_kit.bulk_insert import RowsInsert
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.tables import KitTables
from fieldline_kit.tracing import Origin


@dataclass(frozen=True)
class IntegrationEvent:
    """A published fact: the proto message plus where it goes and what it is about.

    `event_id` is empty as mappers make it; the events `after_commit` receives carry the id
    the unit of work gave them (the envelope's `event_id` on the stream).
    """

    subject: str
    message: Message
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    event_id: str = ""


class HasEvents(Protocol):
    events: list[Any]


# Domain event → the integration events it publishes (a fieldline_kit.event_mapper.EventMapper).
MapEvents = Callable[[Any], Iterable[IntegrationEvent]]
AfterCommit = Callable[[Sequence[IntegrationEvent]], None]


class UnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: KitTables,
        mapper: MapEvents,
        *,
        clock: Clock = utcnow,
        on_commit: Callable[[], None] | None = None,
        after_commit: AfterCommit | None = None,
        causation_id: str = "",
        read_only: bool = False,
    ) -> None:
        self._sessions = sessions
        self._tables = tables
        self._mapper = mapper
        self._on_commit = on_commit
        self._after_commit = after_commit
        self.clock = clock
        self.causation_id = causation_id
        self.read_only = read_only
        self._seen: list[HasEvents] = []
        # Aggregates changed on behalf of another request than the current context's (a batch
        # of requests in one transaction): id(aggregate) → that request's correlation id and
        # trace context.
        self._origins: dict[int, Origin] = {}
        self._session: AsyncSession | None = None
        self._written: list[IntegrationEvent] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        await self._session.begin()
        self._seen = []
        self._origins = {}
        self._written = []
        self._attach()
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
        row). Neither `on_commit` nor `after_commit` is called: the relay picks the rows up on
        its next poll.
        """
        self._session = session
        self._seen = []
        self._origins = {}
        self._written = []
        self._attach()
        return self

    def _attach(self) -> None:
        """Attach this context's repositories as `self.<name>` (a subclass's hook; called on
        every `async with` and `adopt`, so each transaction gets fresh ones)."""

    def _writable(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot write")

    def track(self, aggregate: HasEvents, *, origin: Origin | None = None) -> None:
        """Write the aggregate's events at commit; `origin`: the correlation id and trace
        context of the request it was changed for, when that is not the current context's
        (batches)."""
        if not any(a is aggregate for a in self._seen):
            self._seen.append(aggregate)
        if origin is not None:
            self._origins[id(aggregate)] = origin

    @property
    def written(self) -> Sequence[IntegrationEvent]:
        """The events flushed to the outbox in this transaction so far (ids assigned)."""
        return tuple(self._written)

    async def flush_events(self) -> None:
        """Write the tracked aggregates' pending events to the outbox (part of this tx)."""
        written: list[IntegrationEvent] = []
        rows: list[tuple[Any, ...]] = []
        now = self.clock()
        occurred = timestamp_pb2.Timestamp()  # the same for all the events of the flush
        occurred.FromDatetime(now)
        current = Origin.here()
        for aggregate in self._seen:
            origin = self._origins.get(id(aggregate), current)
            while aggregate.events:
                for ev in self._mapper(aggregate.events.pop(0)):
                    ev = replace(ev, event_id=ev.event_id or str(uuid.uuid4()))
                    written.append(ev)
                    rows.append(self._outbox_row(ev, now, origin, occurred))
        if rows:
            await _rows_insert(self._tables.outbox, OUTBOX_COLUMNS).execute(self.session, rows)
            self._written.extend(written)

    def _outbox_row(
        self,
        ev: IntegrationEvent,
        now: Any,
        origin: Origin,
        occurred: timestamp_pb2.Timestamp,
    ) -> tuple[Any, ...]:
        """The outbox row of an event, in `OUTBOX_COLUMNS` order (`occurred`: `now`)."""
        event_id = ev.event_id
        payload = any_pb2.Any()
        payload.Pack(ev.message)
        envelope = event_envelope_pb2.EventEnvelope(
            event_id=event_id,
            occurred_at=occurred,
            aggregate_type=ev.aggregate_type,
            aggregate_id=ev.aggregate_id,
            aggregate_version=ev.aggregate_version,
            correlation_id=origin.correlation,
            causation_id=self.causation_id,
            payload=payload,
            trace_context=origin.trace,
        )
        return (
            event_id,
            ev.subject,
            envelope.SerializeToString(),
            ev.aggregate_type,
            ev.aggregate_id,
            ev.aggregate_version,
            now,
            0,
        )

    async def commit(self) -> None:
        self._writable()
        await self.flush_events()
        await self.session.commit()
        written, self._written = self._written, []
        if not written:
            return
        if self._on_commit is not None:
            self._on_commit()
        if self._after_commit is not None:
            self._after_commit(written)

    async def rollback(self) -> None:
        await self.session.rollback()
        self._written = []

    # -- idempotency (see fieldline_kit.idempotency) ----------------------------------------
    async def stored_responses(self, keys: Collection[str]) -> dict[str, tuple[str, bytes]]:
        """key → (fingerprint, response) of the responses stored under `keys` (one statement)."""
        if not keys:
            return {}
        t = self._tables.idempotency
        rows = await self.session.execute(
            select(t.c.key, t.c.fingerprint, t.c.response).where(t.c.key.in_(list(keys)))
        )
        return {r.key: (r.fingerprint, bytes(r.response)) for r in rows}

    async def record_responses(self, records: Sequence[tuple[str, str, bytes]]) -> None:
        """Store the responses of requests (key, fingerprint, response) in one statement."""
        if not records:
            return
        self._writable()
        now = self.clock()
        await _rows_insert(self._tables.idempotency, IDEMPOTENCY_COLUMNS).execute(
            self.session, [(key, digest, response, now) for key, digest, response in records]
        )


# The batched INSERTs of the kit tables (rows as tuples in these column orders; see
# fieldline_kit.bulk_insert): the outbox rows of a transaction, stored responses.
OUTBOX_COLUMNS = (
    "event_id",
    "subject",
    "payload",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "created_at",
    "attempts",
)
IDEMPOTENCY_COLUMNS = ("key", "fingerprint", "response", "created_at")


@functools.lru_cache(maxsize=64)
def _rows_insert(table: Table, columns: tuple[str, ...]) -> RowsInsert:
    return RowsInsert(table, columns)
