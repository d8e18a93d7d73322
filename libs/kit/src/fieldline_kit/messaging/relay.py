"""Outbox relay: moves committed outbox rows to JetStream, in order, at least once.

One pass (`publish_pending`) takes the oldest unpublished rows, publishes them with
`Nats-Msg-Id = event_id` and waits for their PubAcks, then marks the acknowledged rows
published. It stops at the first failure so rows leave in id order: only the rows before the
first failed one are marked; the failed row gets `attempts + 1` and `last_error`, and is
retried on the next pass. A crash between PubAck and marking re-publishes the row, and the
stream's duplicate window drops the copy.

Publishing is pipelined: consecutive rows of one bounded context (the subject's first token,
i.e. one stream) are sent without waiting for each other's PubAcks, and every row after the
first carries `Nats-Expected-Last-Msg-Id = <event_id of the row before it>`. JetStream stores
such a message only if the last message stored in the stream is that row, and otherwise
rejects it (error 10070, "wrong last msg ID"), so a row can never be stored ahead of an
earlier row that was lost or rejected (a subject no stream captures, a message over the
stream's size limit, a stream leader change, a connection lost with publishes in flight) and
is then retried. A duplicate is recognised before that check, so re-publishing after a crash
still only gets "duplicate" acks. The first row of a run carries no expectation and is sent
only once every earlier row of the pass is acknowledged. When a run's chain breaks without a
failure (another publisher's message, e.g. a second relay replica's, got in between, or the
previous row was an old duplicate), the rejected rows were not stored and the rest of the pass
goes out one row at a time, each after the previous PubAck.

PostgreSQL: rows are selected `FOR UPDATE SKIP LOCKED` and the lock is held while publishing, so
several relay replicas never publish the same row concurrently. SQLite (development and tests,
one relay per database): rows are read, then marked in a short write transaction, with the
publishing in between, because a SQLite write transaction would block every writer meanwhile.
The read is a single SELECT on an autocommit connection (`fieldline_kit.db.autocommit`: no
BEGIN/COMMIT, SQLite gives one statement a read transaction of its own), so it neither waits in
nor holds the process's SQLite writer queue (`fieldline_kit.sqlite_writers`).

Pacing: `run()` is woken by every commit that wrote events (`wake()`), but passes for wake-ups
start at least `min_pass_interval` apart (default 50 ms), so under load one pass takes the
events of several commits instead of a pass per commit: much of a pass's event-loop cost
(the read, the marking transaction, the socket write) does not grow with the rows it carries.
An idle relay (no woken pass within the interval) starts the pass for a wake-up at once; a
pass that published a whole batch goes again at once; the stop event ends the pause; backoff
after a failure is not affected.

The per-event cost is paid by the service's event loop, so it is kept small: besides the
pipelining (one socket write for a run instead of a round trip per row), statements are built
once and run on a Core connection rather than through an ORM session, `run()` keeps that
connection between its passes (PostgreSQL: the whole pass; SQLite: the read, never the
writer queue) instead of a pool checkout and pre-ping per pass, the SQLite read runs without
BEGIN/COMMIT, the PubAcks come back on the relay's own reply subscription (not through
`JetStreamContext.publish`, a request with its own timeout wrapper per message), and `run()`'s
idle wait is one future and one timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.errors import APIError, NoStreamResponseError
from opentelemetry import trace
from prometheus_client import Counter
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql import Select

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit import tracing
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.db import READ_ONLY_OPTION, autocommit_engine, read_only
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
# An unpublished row: `.id`, `.event_id`, `.subject`, `.payload` (a SQLAlchemy Row).
_OutboxRow = Any
_STATUS_HEADER = "Status"
_NO_RESPONDERS = "503"
_ERROR_MAX = 2000
_PURGE_CHUNK = 5000


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
        min_pass_interval: float = 0.05,
        publish_timeout: float = 5.0,
        max_backoff: float = 5.0,
        retention: timedelta = timedelta(days=7),
        purge_interval: float = 3600.0,
        lag_interval: float = 5.0,
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self._outbox = tables.outbox
        self._publisher: _Publisher = (
            _CorePublisher(connection)
            if isinstance(connection, Client)
            else _JetStreamPublisher(jetstream(connection))
        )
        self.service = service
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.min_pass_interval = min_pass_interval
        self.publish_timeout = publish_timeout
        self.max_backoff = max_backoff
        self.retention = retention
        self.purge_interval = purge_interval
        self.lag_interval = lag_interval
        self._clock = clock
        self._last_failed = False
        # The relay's database access goes through Core connections of the sessions' engine
        # (an ORM session per pass costs more than the statements themselves).
        bind = sessions.kw.get("bind")
        self._engine = bind if isinstance(bind, AsyncEngine) else None
        self._read_engine = read_only(self._engine) if self._engine is not None else None
        # SQLite's read: one statement with no transaction around it (see _read_pending).
        self._autocommit_engine = (
            autocommit_engine(self._engine) if self._engine is not None else None
        )
        self._postgres: bool | None = (
            None if self._engine is None else self._engine.dialect.name == "postgresql"
        )
        t = self._outbox
        self._limit = -1
        self._select_stmt = cast("Select[Any]", select(t.c.id))  # built by _select()
        self._locked_stmt = self._select_stmt
        self._mark_stmt = (
            update(t)
            .where(t.c.id.in_(bindparam("ids", expanding=True)))
            .values(published_at=bindparam("now"))
        )
        self._fail_stmt = (
            update(t)
            .where(t.c.id == bindparam("row_id"))
            .values(attempts=t.c.attempts + 1, last_error=bindparam("error"))
        )
        self._published: dict[str, Counter] = {}  # metric children by subject
        # At 0 from the start, so that the first failure is a rise an alert can see.
        self._failures = OUTBOX_PUBLISH_FAILURES.labels(service)
        self._held: AsyncConnection | None = None  # kept between run()'s passes
        # run()'s sleep: woken by wake() (unless it is a backoff) and by its stop event.
        self._woken = False
        self._sleeper: asyncio.Future[None] | None = None
        self._sleeper_wakes = False

    # -- public API --------------------------------------------------------------------------
    def wake(self) -> None:
        """Ask the running loop to publish now (pass as UnitOfWork(on_commit=relay.wake))."""
        self._woken = True
        sleeper = self._sleeper
        if sleeper is not None and self._sleeper_wakes and not sleeper.done():
            sleeper.set_result(None)

    @property
    def last_pass_failed(self) -> bool:
        return self._last_failed

    async def publish_pending(self) -> int:
        """One pass over at most `batch_size` unpublished rows; returns how many went out."""
        return await self._pass(hold=False)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; never raises on NATS or database errors."""
        log.info("outbox relay started", service=self.service)
        watcher = asyncio.create_task(self._end_sleep_on(stop))
        try:
            await self._loop(stop)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await self._release_held()
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
    async def _pass(self, *, hold: bool) -> int:
        """`publish_pending`; `hold`: on the connection kept between run()'s passes."""
        if self._postgres is None:
            async with self._sessions() as session:
                self._postgres = session.get_bind().dialect.name == "postgresql"
        if self._postgres:
            # One transaction: the row locks are held while publishing.
            async with self._transaction(hold=hold) as conn:
                rows = (await conn.execute(self._select(lock=True))).all()
                if not rows:
                    self._last_failed = False
                    return 0
                published, error = await self._publish(rows)
                await self._mark(conn, rows, published, error)
        else:
            rows = await self._read_pending(hold=hold)
            if not rows:
                self._last_failed = False
                return 0
            published, error = await self._publish(rows)
            async with self._transaction() as conn:  # the writer queue: never held
                await self._mark(conn, rows, published, error)
        self._last_failed = published < len(rows)
        return published

    async def _held_pass(self) -> int:
        """A pass of run(), on the connection it keeps between passes (PostgreSQL: the whole
        pass; SQLite: the read). That saves a pool checkout per pass, and on PostgreSQL the
        pool's pre-ping: a round trip."""
        reused = self._held is not None
        try:
            return await self._pass(hold=True)
        except DBAPIError as exc:
            if not (reused and exc.connection_invalidated):
                raise
            # The kept connection was gone (a database restart, an idle timeout): once more
            # on a fresh one, as the pre-ping would have done at checkout.
            log.info("outbox relay reconnecting", service=self.service, error=_describe(exc))
            return await self._pass(hold=True)

    async def _loop(self, stop: asyncio.Event) -> None:
        backoff = 0.0
        next_purge = time.monotonic()  # purge once at start, then every purge_interval
        next_lag = 0.0
        woken = False  # the next pass is for a wake-up (not a poll, a backlog or a retry)
        woken_start = -math.inf  # when the last pass for a wake-up started
        while not stop.is_set():
            if woken:
                # Pacing: passes for wake-ups start at least min_pass_interval apart, so under
                # load one pass takes the events of several commits. When idle (no such pass
                # for that long) a wake-up goes out at once.
                pause = woken_start + self.min_pass_interval - time.monotonic()
                if pause > 0:
                    await self._sleep(pause, wakes=False)
                    if stop.is_set():
                        break
                woken_start = time.monotonic()
            self._woken = False
            published = 0
            try:
                published = await self._held_pass()
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
            if stop.is_set():
                break
            if failed:
                woken = False
                backoff = min(self.max_backoff, max(backoff * 2, self.poll_interval, 0.1))
                await self._sleep(backoff, wakes=False)  # commits do not cut a backoff short
            elif published >= self.batch_size:
                woken = False
                backoff = 0.0  # more rows are waiting: go again at once
            else:
                backoff = 0.0
                if not self._woken:  # a commit during the pass: go again (paced)
                    await self._sleep(self.poll_interval, wakes=True)
                woken = self._woken

    async def _sleep(self, seconds: float, *, wakes: bool) -> None:
        """Sleep up to `seconds`; wake() ends it early if `wakes`, run()'s stop event always."""
        loop = asyncio.get_running_loop()
        sleeper: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(seconds, _resolve, sleeper)
        self._sleeper, self._sleeper_wakes = sleeper, wakes
        try:
            await sleeper
        finally:
            timer.cancel()
            self._sleeper = None

    async def _end_sleep_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        if self._sleeper is not None:
            _resolve(self._sleeper)

    @contextlib.asynccontextmanager
    async def _transaction(
        self, *, read_only: bool = False, hold: bool = False
    ) -> AsyncIterator[AsyncConnection]:
        """A transaction, committed when the block succeeds, on a connection of its own or,
        with `hold`, on the one kept between run()'s passes (dropped after any error).

        `read_only` (SQLite): a plain BEGIN, outside the writer queue; it must not write.
        """
        engine = self._read_engine if read_only else self._engine
        if engine is None:  # a sessionmaker without an engine of its own: through a session
            async with self._sessions() as session, session.begin():
                options = {READ_ONLY_OPTION: True} if read_only else None
                yield await session.connection(execution_options=options)
        elif not hold:
            async with engine.begin() as conn:
                yield conn
        else:
            if self._held is None:
                self._held = await engine.connect()
            held = self._held
            try:
                async with held.begin():
                    yield held
            except BaseException:
                await self._release_held()
                raise

    async def _read_pending(self, *, hold: bool) -> Sequence[Any]:
        """SQLite: the unpublished rows, read by a single SELECT on an autocommit connection.

        One statement needs no BEGIN/COMMIT around it: SQLite runs it in a read transaction of
        its own, which ends when its rows are fetched (the kit's cursor runs it to the end), so
        it sees one committed state, as an explicit read-only transaction would, and like one
        it takes no write lock and stays out of the writer queue. It saves the BEGIN and
        COMMIT trips to aiosqlite's thread and SQLAlchemy's transaction bookkeeping.
        With `hold`, on the connection kept between run()'s passes (SQLite: only ever this
        read, so it is an autocommit one).
        """
        engine = self._autocommit_engine
        if engine is None:  # a sessionmaker without an engine of its own: a transaction
            async with self._transaction(read_only=True, hold=hold) as conn:
                return (await conn.execute(self._select(lock=False))).all()
        if not hold:
            async with engine.connect() as conn:
                return (await conn.execute(self._select(lock=False))).all()
        if self._held is None:
            self._held = await engine.connect()
        try:
            return (await self._held.execute(self._select(lock=False))).all()
        except BaseException:
            await self._release_held()
            raise

    async def _release_held(self) -> None:
        conn, self._held = self._held, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    def _select(self, *, lock: bool) -> Select[Any]:
        if self._limit != self.batch_size:
            t = self._outbox
            self._limit = self.batch_size
            self._select_stmt = cast(
                "Select[Any]",
                select(t.c.id, t.c.event_id, t.c.subject, t.c.payload)
                .where(t.c.published_at.is_(None))
                .order_by(t.c.id)
                .limit(self.batch_size),
            )
            self._locked_stmt = self._select_stmt.with_for_update(skip_locked=True)
        return self._locked_stmt if lock else self._select_stmt

    async def _publish(self, rows: Sequence[_OutboxRow]) -> tuple[int, str]:
        """Publish `rows` in order until the first failure: (rows acknowledged, its error)."""
        done, total = 0, len(rows)
        pipelining = self._publisher.pipelines
        error = ""
        while done < total:
            end = _run_end(rows, done) if pipelining else done + 1
            spans = _publish_spans(rows[done:end]) if tracing.enabled() else []
            run = await self._publisher.publish(rows[done:end], self.publish_timeout)
            for i, span in enumerate(spans):
                if i >= run.acked:
                    span.set_status(trace.StatusCode.ERROR, "not acknowledged; retried")
                span.end()
            for event_id in run.duplicates:
                log.info("outbox event was already in the stream", event_id=event_id)
            done += run.acked
            if run.error is not None:  # keep order: this row and the rest wait for the next pass
                failed = rows[done]
                self._failures.inc()
                error = _describe(run.error)
                log.warning(
                    "outbox publish failed",
                    service=self.service,
                    event_id=failed.event_id,
                    subject=failed.subject,
                    error=error,
                )
                break
            if done < end:
                # The chain broke (another publisher's message got in between, or the row
                # before was an old duplicate): the rows from `done` on were not stored.
                # Send the rest of the pass one at a time.
                log.debug("outbox pipelining interrupted", service=self.service, at=done)
                pipelining = False
        # The metric, per subject, once per pass.
        counts: dict[str, int] = {}
        for row in rows[:done]:
            counts[row.subject] = counts.get(row.subject, 0) + 1
        for subject, n in counts.items():
            child = self._published.get(subject)
            if child is None:
                child = self._published[subject] = OUTBOX_PUBLISHED.labels(self.service, subject)
            child.inc(n)
        return done, error

    async def _mark(
        self, conn: AsyncConnection, rows: Sequence[_OutboxRow], published: int, error: str
    ) -> None:
        """Mark the first `published` rows published; the next one (if any) failed."""
        if published:
            await conn.execute(
                self._mark_stmt,
                {"ids": [row.id for row in rows[:published]], "now": self._clock()},
            )
        if published < len(rows):
            await conn.execute(
                self._fail_stmt, {"row_id": rows[published].id, "error": error[:_ERROR_MAX]}
            )

    async def _safely(self, job: Any) -> None:
        try:
            await job
        except Exception as exc:
            log.warning("outbox housekeeping failed", service=self.service, error=_describe(exc))


# -- publishing ------------------------------------------------------------------------------
EXPECTED_LAST_MSG_ID_HEADER = "Nats-Expected-Last-Msg-Id"
_WRONG_LAST_MSG_ID = 10070  # JetStream's err_code for a failed Nats-Expected-Last-Msg-Id
_MAX_RUN_BYTES = 1 << 20  # payload bytes in flight per pipelined run (the first row always goes)


def _publish_spans(rows: Sequence[_OutboxRow]) -> list[trace.Span]:
    """A producer span per row, each in the trace of the work that wrote the row (the
    envelope's trace context): a request's trace goes on through the outbox."""
    spans = []
    for row in rows:
        carried = EventEnvelope.FromString(bytes(row.payload)).trace_context
        spans.append(
            tracing.tracer().start_span(
                f"publish {row.subject}",
                context=tracing.parent(carried),
                kind=trace.SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "nats",
                    "messaging.destination.name": row.subject,
                    "messaging.message.id": row.event_id,
                },
            )
        )
    return spans


def _run_end(rows: Sequence[_OutboxRow], start: int) -> int:
    """End of the run of rows from `start` that go to one stream (same subject context)."""
    context = rows[start].subject.partition(".")[0]
    size = len(rows[start].payload)
    end = start + 1
    while end < len(rows):
        row = rows[end]
        size += len(row.payload)
        if size > _MAX_RUN_BYTES or row.subject.partition(".")[0] != context:
            break
        end += 1
    return end


@dataclass
class _RunResult:
    acked: int = 0  # rows acknowledged, from the first on
    error: Exception | None = None  # why row `acked` failed (None: all acked, or chain broken)
    duplicates: list[str] = field(default_factory=list)  # event ids the stream had already


class _ChainBroken(Exception):
    """The stream's last message was not the row before (JetStream error 10070)."""


class _Publisher:
    pipelines = False

    async def publish(self, rows: Sequence[_OutboxRow], timeout: float) -> _RunResult:
        """Publish a run of rows in order, each chained to the one before it."""
        raise NotImplementedError


class _CorePublisher(_Publisher):
    """JetStream publishes on a core NATS connection, pipelined.

    Each message goes out with a reply subject under the relay's own wildcard subscription,
    where its PubAck comes back: the wire exchange of `JetStreamContext.publish` (a request),
    with the same errors (`NoStreamResponseError` when no stream captures the subject, the
    server's `APIError`, `nats.errors.TimeoutError`), but the messages of a run are all sent
    before their PubAcks are awaited, and each after the first carries
    `Nats-Expected-Last-Msg-Id` = the previous message's id.
    """

    pipelines = True

    def __init__(self, nc: Client) -> None:
        self._nc = nc
        self._sub: Subscription | None = None
        self._prefix = ""
        self._next = 0
        self._waiting: dict[str, asyncio.Future[Msg]] = {}

    async def publish(self, rows: Sequence[_OutboxRow], timeout: float) -> _RunResult:
        nc = self._nc
        if not self._prefix:  # first use: the subscription for the PubAcks
            self._prefix = nc.new_inbox() + "."
            try:
                self._sub = await nc.subscribe(self._prefix + "*", cb=self._on_reply)
            except Exception as exc:  # e.g. a closed connection: the first row failed
                self._prefix = ""
                return _RunResult(error=exc)
        loop = asyncio.get_running_loop()
        replies: list[str] = []
        answers: list[asyncio.Future[Msg]] = []
        result = _RunResult()
        send_error: Exception | None = None
        previous = ""
        try:
            for row in rows:
                self._next += 1
                reply = self._prefix + str(self._next)
                headers = {MSG_ID_HEADER: row.event_id}
                if previous:
                    headers[EXPECTED_LAST_MSG_ID_HEADER] = previous
                answer: asyncio.Future[Msg] = loop.create_future()
                self._waiting[reply] = answer
                replies.append(reply)
                try:
                    await nc.publish(row.subject, bytes(row.payload), reply=reply, headers=headers)
                except Exception as exc:  # not sent: the rows before it may still be acked
                    send_error = exc
                    break
                answers.append(answer)
                previous = row.event_id
            timer = loop.call_later(timeout, _time_out, answers)
            try:
                for i, answer in enumerate(answers):
                    try:
                        duplicate = _check_ack(await answer, chained=i > 0)
                    except _ChainBroken:
                        return result
                    except Exception as exc:
                        result.error = exc
                        return result
                    result.acked += 1
                    if duplicate:
                        result.duplicates.append(rows[i].event_id)
            finally:
                timer.cancel()
            result.error = send_error
            return result
        finally:
            waiting = self._waiting
            for reply in replies:
                waiting.pop(reply, None)
            for answer in answers:
                if answer.done() and not answer.cancelled():
                    answer.exception()  # a timeout nobody awaited is not worth a warning

    async def _on_reply(self, msg: Msg) -> None:
        answer = self._waiting.pop(msg.subject, None)
        if answer is not None and not answer.done():
            answer.set_result(msg)


def _check_ack(msg: Msg, *, chained: bool) -> bool:
    """True for a PubAck of a duplicate; raises for a failed publish (`_ChainBroken` only for
    a message that carried an expectation, so a run always gets past its first row)."""
    if msg.headers and msg.headers.get(_STATUS_HEADER) == _NO_RESPONDERS:
        raise NoStreamResponseError
    ack = json.loads(msg.data)
    error = ack.get("error")
    if error is not None:
        if chained and error.get("err_code") == _WRONG_LAST_MSG_ID:
            raise _ChainBroken
        APIError.from_error(error)  # raises the matching APIError subclass
    return bool(ack.get("duplicate"))


def _time_out(answers: Sequence[asyncio.Future[Msg]]) -> None:
    for answer in answers:
        if not answer.done():
            answer.set_exception(nats.errors.TimeoutError())


class _JetStreamPublisher(_Publisher):
    """For a relay given a JetStreamContext rather than a client: one row at a time."""

    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish(self, rows: Sequence[_OutboxRow], timeout: float) -> _RunResult:
        result = _RunResult()
        for row in rows:
            try:
                ack = await self._js.publish(
                    row.subject,
                    bytes(row.payload),
                    timeout=timeout,
                    headers={MSG_ID_HEADER: row.event_id},
                )
            except Exception as exc:
                result.error = exc
                break
            result.acked += 1
            if ack.duplicate:
                result.duplicates.append(row.event_id)
        return result


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes; everything stored by the kit is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
