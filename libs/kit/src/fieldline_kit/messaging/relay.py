"""Outbox relay: moves committed outbox rows to JetStream, in order, at least once.

One pass (`publish_pending`) takes the oldest unpublished rows, publishes each with
`Nats-Msg-Id = event_id` and waits for the PubAck, then marks the acknowledged rows published.
It stops at the first failure so rows leave in id order; the failed row gets `attempts + 1` and
`last_error`, and is retried on the next pass. A crash between PubAck and marking re-publishes
the row, and the stream's duplicate window drops the copy.

PostgreSQL: rows are selected `FOR UPDATE SKIP LOCKED` and the lock is held while publishing, so
several relay replicas never publish the same row concurrently. SQLite (development and tests,
one relay per database): rows are read and marked in two short transactions, with the
publishing in between, because a SQLite write transaction would block every writer meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.logging import get_logger
from fieldline_kit.messaging.nats import jetstream
from fieldline_kit.metrics import (
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISH_FAILURES,
    OUTBOX_PUBLISHED,
    OUTBOX_UNPUBLISHED,
)
from fieldline_kit.tables import KitTables

log = get_logger("fieldline.outbox")

MSG_ID_HEADER = "Nats-Msg-Id"
_ERROR_MAX = 2000
_PURGE_CHUNK = 5000


@dataclass(frozen=True)
class _Row:
    id: int
    event_id: str
    subject: str
    payload: bytes


@dataclass
class _PassResult:
    published: list[_Row]
    failed: _Row | None = None
    error: str = ""


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: KitTables,
        connection: Client | JetStreamContext,
        *,
        service: str,
        batch_size: int = 200,
        poll_interval: float = 0.5,
        publish_timeout: float = 5.0,
        max_backoff: float = 5.0,
        retention: timedelta = timedelta(days=7),
        purge_interval: float = 3600.0,
        lag_interval: float = 5.0,
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self._outbox = tables.outbox
        self._js = jetstream(connection, timeout=publish_timeout)
        self.service = service
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.publish_timeout = publish_timeout
        self.max_backoff = max_backoff
        self.retention = retention
        self.purge_interval = purge_interval
        self.lag_interval = lag_interval
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._last_failed = False

    # -- public API --------------------------------------------------------------------------
    def wake(self) -> None:
        """Ask the running loop to publish now (pass as UnitOfWork(on_commit=relay.wake))."""
        self._wakeup.set()

    @property
    def last_pass_failed(self) -> bool:
        return self._last_failed

    async def publish_pending(self) -> int:
        """One pass over at most `batch_size` unpublished rows; returns how many went out."""
        async with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                async with session.begin():
                    rows = await self._select(session, lock=True)
                    result = await self._publish(rows)
                    await self._mark(session, result)
            else:
                async with session.begin():
                    rows = await self._select(session, lock=False)
                if not rows:
                    self._last_failed = False
                    return 0
                result = await self._publish(rows)
                async with session.begin():
                    await self._mark(session, result)
        self._last_failed = result.failed is not None
        return len(result.published)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; never raises on NATS or database errors."""
        log.info("outbox relay started", service=self.service)
        backoff = 0.0
        next_purge = time.monotonic()  # purge once at start, then every purge_interval
        next_lag = 0.0
        while not stop.is_set():
            self._wakeup.clear()
            published = 0
            try:
                published = await self.publish_pending()
                failed = self._last_failed
            except Exception as exc:
                failed = True
                log.warning("outbox pass failed", service=self.service, error=_describe(exc))
            now = time.monotonic()
            if now >= next_lag or failed:
                next_lag = now + self.lag_interval
                await self._safely(self.update_lag_metrics())
            if now >= next_purge:
                next_purge = now + self.purge_interval
                await self._safely(self.purge_published())
            if failed:
                backoff = min(self.max_backoff, max(backoff * 2, self.poll_interval, 0.1))
                await _wait(stop, None, backoff)  # commits do not cut a backoff short
            elif published >= self.batch_size:
                backoff = 0.0  # more rows are waiting: go again at once
            else:
                backoff = 0.0
                await _wait(stop, self._wakeup, self.poll_interval)
        log.info("outbox relay stopped", service=self.service)

    async def update_lag_metrics(self) -> tuple[int, float]:
        """Refresh the lag gauges; returns (unpublished rows, age of the oldest in seconds)."""
        t = self._outbox
        async with self._sessions() as session, session.begin():
            row = (
                await session.execute(
                    select(func.count(), func.min(t.c.created_at)).where(t.c.published_at.is_(None))
                )
            ).one()
        count = int(row[0] or 0)
        age = 0.0
        if row[1] is not None:
            age = max(0.0, (self._clock() - _aware(row[1])).total_seconds())
        OUTBOX_UNPUBLISHED.labels(self.service).set(count)
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)
        return count, age

    async def purge_published(self, older_than: timedelta | None = None) -> int:
        """Delete rows published more than `older_than` (default: retention) ago."""
        t = self._outbox
        cutoff = self._clock() - (self.retention if older_than is None else older_than)
        total = 0
        while True:
            async with self._sessions() as session, session.begin():
                ids = (
                    select(t.c.id)
                    .where(t.c.published_at.is_not(None), t.c.published_at < cutoff)
                    .order_by(t.c.id)
                    .limit(_PURGE_CHUNK)
                    .scalar_subquery()
                )
                result = await session.execute(delete(t).where(t.c.id.in_(ids)))
                deleted = cast("CursorResult[Any]", result).rowcount
            total += deleted
            if deleted < _PURGE_CHUNK:
                break
        if total:
            log.info("outbox purged", service=self.service, rows=total)
        return total

    # -- internals ---------------------------------------------------------------------------
    async def _select(self, session: AsyncSession, *, lock: bool) -> list[_Row]:
        t = self._outbox
        stmt = (
            select(t.c.id, t.c.event_id, t.c.subject, t.c.payload)
            .where(t.c.published_at.is_(None))
            .order_by(t.c.id)
            .limit(self.batch_size)
        )
        if lock:
            stmt = stmt.with_for_update(skip_locked=True)
        return [
            _Row(id=r.id, event_id=r.event_id, subject=r.subject, payload=bytes(r.payload))
            for r in (await session.execute(stmt)).all()
        ]

    async def _publish(self, rows: Sequence[_Row]) -> _PassResult:
        result = _PassResult(published=[])
        for row in rows:
            try:
                ack = await self._js.publish(
                    row.subject,
                    row.payload,
                    timeout=self.publish_timeout,
                    headers={MSG_ID_HEADER: row.event_id},
                )
            except Exception as exc:  # any failure: keep order, retry this row next pass
                OUTBOX_PUBLISH_FAILURES.labels(self.service).inc()
                result.failed, result.error = row, _describe(exc)
                log.warning(
                    "outbox publish failed",
                    service=self.service,
                    event_id=row.event_id,
                    subject=row.subject,
                    error=result.error,
                )
                break
            result.published.append(row)
            OUTBOX_PUBLISHED.labels(self.service, row.subject).inc()
            if ack.duplicate:
                log.info("outbox event was already in the stream", event_id=row.event_id)
        return result

    async def _mark(self, session: AsyncSession, result: _PassResult) -> None:
        t = self._outbox
        if result.published:
            await session.execute(
                update(t)
                .where(t.c.id.in_([r.id for r in result.published]))
                .values(published_at=self._clock())
            )
        if result.failed is not None:
            await session.execute(
                update(t)
                .where(t.c.id == result.failed.id)
                .values(attempts=t.c.attempts + 1, last_error=result.error[:_ERROR_MAX])
            )

    async def _safely(self, job: Any) -> None:
        try:
            await job
        except Exception as exc:
            log.warning("outbox housekeeping failed", service=self.service, error=_describe(exc))


async def _wait(stop: asyncio.Event, wakeup: asyncio.Event | None, seconds: float) -> None:
    """Sleep up to `seconds`, returning early when `stop` (or `wakeup`, if given) is set."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if wakeup is not None:
        waiters.append(asyncio.ensure_future(wakeup.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
        for w in waiters:
            with contextlib.suppress(asyncio.CancelledError):
                await w


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes; everything stored by the kit is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
