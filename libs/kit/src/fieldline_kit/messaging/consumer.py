"""Durable pull consumer with an inbox: at-least-once delivery, effects applied once.

Each message is an `EventEnvelope`. The handler for its payload type runs in one transaction
together with the insert of the `(consumer, event_id)` inbox row; the message is acked only
after that commit. A redelivery (or a concurrent copy on another replica) finds the inbox row,
or loses the race on its primary key, and is acked without effects.

Failures:
- any exception from the handler is transient: `nak(delay=backoff[deliveries-1])`;
- `PoisonMessage` from a handler, an undecodable message, or a transient failure on the last
  allowed delivery (`max_deliver`) goes to the `dead_letter` table and is `term()`ed, so it
  never blocks the messages behind it.

The consumer itself is declared by the topology (`fieldline_kit.messaging.topology`); this
class only binds to it. `max_deliver`, the nak backoff and `ack_wait` are read from the declared
consumer unless given explicitly.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import nats.errors
import nats.js.errors
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry import trace
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit import tracing
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.logging import correlation, get_logger
from fieldline_kit.messaging.nats import jetstream
from fieldline_kit.metrics import (
    CONSUMER_HANDLER_SECONDS,
    CONSUMER_OUTCOMES,
    CONSUMER_PENDING,
    CONSUMER_PROCESSED,
    CONSUMER_REDELIVERED,
)
from fieldline_kit.tables import KitTables

log = get_logger("fieldline.consumer")

Handler = Callable[[AsyncSession, EventEnvelope, Message], Awaitable[None]]
MessageTypes = Mapping[str, type[Message]] | Callable[[str], type[Message] | None]

# Consumer metadata key under which the topology stores the nak backoff (seconds, comma list).
BACKOFF_METADATA_KEY = "fieldline.nak_backoff"
DEFAULT_MAX_DELIVER = 5
DEFAULT_BACKOFF: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)
_ERROR_MAX = 2000


class PoisonMessage(Exception):
    """Raise from a handler when the event can never be applied; it is dead-lettered at once."""


class ConsumerNotDeclared(RuntimeError):
    """The durable consumer does not exist: the topology was not applied."""


def default_message_type(full_name: str) -> type[Message] | None:
    """Resolve a message class from the default descriptor pool (its _pb2 module imported)."""
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(full_name)
    except KeyError:
        return None
    cls: type[Message] = message_factory.GetMessageClass(descriptor)
    return cls


class EventConsumer:
    def __init__(
        self,
        name: str,
        stream: str,
        sessions: async_sessionmaker[AsyncSession],
        tables: KitTables,
        handlers: Mapping[str, Handler],
        message_types: MessageTypes | None = None,
        *,
        connection: Client | JetStreamContext,
        batch: int = 50,
        fetch_timeout: float = 1.0,
        max_deliver: int | None = None,
        backoff: Sequence[float] | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.name = name
        self.stream = stream
        self._sessions = sessions
        self._tables = tables
        self._handlers = dict(handlers)
        if message_types is None:
            self._resolve: Callable[[str], type[Message] | None] = default_message_type
        elif isinstance(message_types, Mapping):
            self._resolve = dict(message_types).get
        else:
            self._resolve = message_types
        self._js = jetstream(connection)
        self.batch = batch
        self.fetch_timeout = fetch_timeout
        self.max_deliver = max_deliver
        self.backoff: tuple[float, ...] | None = tuple(backoff) if backoff is not None else None
        self.ack_wait: float | None = None
        self._clock = clock
        self._sub: JetStreamContext.PullSubscription | None = None
        self._stopping = asyncio.Event()
        self._done = asyncio.Event()
        self._running = False
        # Lag and redeliveries (fieldline_kit.metrics); every child at 0 from the start, so
        # the first dead letter or redelivery is an increase.
        self._pending = CONSUMER_PENDING.labels(name)
        self._redelivered = CONSUMER_REDELIVERED.labels(name)
        for outcome in CONSUMER_OUTCOMES:
            CONSUMER_PROCESSED.labels(name, outcome)

    # -- lifecycle ---------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Fetch and handle messages until `stop` (or `self.stop()`); then unsubscribe."""
        self._done.clear()
        self._running = True
        try:
            sub = await self._bind(stop)
            if sub is None:
                return
            log.info("consumer started", consumer=self.name, stream=self.stream)
            await self._loop(sub, stop)
        finally:
            if self._sub is not None:
                with contextlib.suppress(Exception):
                    await self._sub.unsubscribe()
                self._sub = None
            self._running = False
            self._done.set()
            log.info("consumer stopped", consumer=self.name)

    async def stop(self) -> None:
        """Stop fetching, let the in-flight message finish, unsubscribe; returns when done."""
        self._stopping.set()
        if self._running:
            await self._done.wait()

    def _should_stop(self, stop: asyncio.Event) -> bool:
        return stop.is_set() or self._stopping.is_set()

    async def _bind(self, stop: asyncio.Event) -> JetStreamContext.PullSubscription | None:
        delay = 0.5
        while not self._should_stop(stop):
            try:
                info = await self._js.consumer_info(self.stream, self.name)
                self._configure(info.config)
                self._pending.set(info.num_pending or 0)
                self._sub = await self._js.pull_subscribe_bind(
                    durable=self.name, stream=self.stream
                )
                return self._sub
            except nats.js.errors.NotFoundError as exc:
                raise ConsumerNotDeclared(
                    f"consumer {self.name!r} on stream {self.stream!r} is not declared; "
                    "run `python -m fieldline_kit.messaging.topology apply`"
                ) from exc
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                log.warning("consumer bind failed, retrying", consumer=self.name, error=repr(exc))
                await _sleep_unless(stop, self._stopping, delay)
                delay = min(delay * 2, 5.0)
        return None

    def _configure(self, config: Any) -> None:
        if self.max_deliver is None:
            server_max = config.max_deliver
            self.max_deliver = server_max if server_max and server_max > 0 else DEFAULT_MAX_DELIVER
        if self.backoff is None:
            raw = (config.metadata or {}).get(BACKOFF_METADATA_KEY, "")
            parsed = tuple(float(x) for x in raw.split(",") if x.strip())
            self.backoff = parsed or tuple(config.backoff or ()) or DEFAULT_BACKOFF
        self.ack_wait = config.ack_wait

    async def _loop(self, sub: JetStreamContext.PullSubscription, stop: asyncio.Event) -> None:
        error_delay = 0.5
        while not self._should_stop(stop):
            try:
                msgs = await sub.fetch(self.batch, timeout=self.fetch_timeout)
            except TimeoutError:  # nats.errors.TimeoutError: nothing to fetch
                error_delay = 0.5
                continue
            except Exception as exc:  # disconnected, server restarting, ...
                log.warning("consumer fetch failed", consumer=self.name, error=repr(exc))
                await _sleep_unless(stop, self._stopping, error_delay)
                error_delay = min(error_delay * 2, 5.0)
                continue
            error_delay = 0.5
            for i, msg in enumerate(msgs):
                if self._should_stop(stop):
                    # Hand the rest back at once rather than letting ack_wait expire.
                    for rest in msgs[i:]:
                        with contextlib.suppress(Exception):
                            await rest.nak()
                    return
                await self.handle(msg)

    # -- one message -------------------------------------------------------------------------
    async def handle(self, msg: Msg) -> str:
        """Process one delivered message; returns the outcome (also counted in metrics)."""
        try:
            outcome = await self._handle(msg)
        except Exception as exc:
            # Only reached when the database is unavailable for bookkeeping: let JetStream
            # redeliver later rather than lose or dead-letter the message.
            log.error("consumer bookkeeping failed", consumer=self.name, error=repr(exc))
            await self._settle(msg.nak(delay=self._delay(msg)))
            outcome = "retried"
        CONSUMER_PROCESSED.labels(self.name, outcome).inc()
        return outcome

    async def _handle(self, msg: Msg) -> str:
        deliveries = _deliveries(msg)
        self._observe(msg, deliveries)
        try:
            envelope = EventEnvelope.FromString(msg.data)
        except DecodeError as exc:
            return await self._dead_letter(msg, None, f"undecodable envelope: {exc}", deliveries)
        if not envelope.event_id:
            return await self._dead_letter(msg, envelope, "envelope without event_id", deliveries)
        type_name = envelope.payload.TypeName()
        handler = self._handlers.get(type_name)
        with (
            correlation(envelope.correlation_id or None),
            tracing.message_span(
                f"process {msg.subject}",
                envelope.trace_context,
                trace.SpanKind.CONSUMER,
                {
                    "messaging.system": "nats",
                    "messaging.consumer.group.name": self.name,
                    "messaging.destination.name": msg.subject,
                    "messaging.message.id": envelope.event_id,
                },
            ),
        ):
            if handler is None:
                recorded = await self._apply(msg, envelope, None, None)
                await self._settle(msg.ack())
                # A redelivered copy (its inbox row there already) is a duplicate, not a
                # second skip: each event counts once, as an applied one does.
                return "skipped" if recorded else "duplicate"
            message = self._decode_payload(envelope, type_name)
            if isinstance(message, str):
                return await self._dead_letter(msg, envelope, message, deliveries)
            started = time.perf_counter()
            try:
                work = self._apply(msg, envelope, handler, message)
                applied = await self._with_progress(msg, work)
            except PoisonMessage as exc:
                return await self._dead_letter(msg, envelope, f"poison: {exc}", deliveries)
            except Exception as exc:
                return await self._retry_or_dead_letter(msg, envelope, exc, deliveries)
            finally:
                CONSUMER_HANDLER_SECONDS.labels(self.name, type_name).observe(
                    time.perf_counter() - started
                )
            await self._settle(msg.ack())
            return "applied" if applied else "duplicate"

    def _observe(self, msg: Msg, deliveries: int) -> None:
        """The consumer's lag as JetStream tells it with this message, and a redelivery."""
        with contextlib.suppress(Exception):  # a message without JetStream metadata
            self._pending.set(int(msg.metadata.num_pending))
        if deliveries > 1:
            self._redelivered.inc()

    def _decode_payload(self, envelope: EventEnvelope, type_name: str) -> Message | str:
        cls = self._resolve(type_name)
        if cls is None:
            return f"no message class for handled type {type_name!r}"
        message = cls()
        try:
            if not envelope.payload.Unpack(message):
                return f"payload is not a {type_name}"
        except DecodeError as exc:
            return f"undecodable payload {type_name}: {exc}"
        return message

    async def _apply(
        self,
        msg: Msg,
        envelope: EventEnvelope,
        handler: Handler | None,
        message: Message | None,
    ) -> bool:
        """Run the handler and record the inbox row in one transaction; False if seen before."""
        inbox = self._tables.inbox
        try:
            async with self._sessions() as session, session.begin():
                seen = await session.scalar(
                    select(inbox.c.event_id).where(
                        inbox.c.consumer == self.name, inbox.c.event_id == envelope.event_id
                    )
                )
                if seen is not None:
                    return False
                # Inbox row first: a concurrent copy blocks here (PostgreSQL) and then fails on
                # the primary key before doing any work.
                await session.execute(
                    insert(inbox).values(
                        consumer=self.name,
                        event_id=envelope.event_id,
                        subject=msg.subject,
                        processed_at=self._clock(),
                    )
                )
                if handler is not None and message is not None:
                    await handler(session, envelope, message)
            return True
        except IntegrityError:
            if await self._in_inbox(envelope.event_id):
                return False  # another replica applied it concurrently
            raise

    async def _in_inbox(self, event_id: str) -> bool:
        inbox = self._tables.inbox
        async with self._sessions() as session, session.begin():
            found = await session.scalar(
                select(inbox.c.event_id).where(
                    inbox.c.consumer == self.name, inbox.c.event_id == event_id
                )
            )
        return found is not None

    async def _retry_or_dead_letter(
        self, msg: Msg, envelope: EventEnvelope, exc: Exception, deliveries: int
    ) -> str:
        error = f"{type(exc).__name__}: {exc}"
        if deliveries >= (self.max_deliver or DEFAULT_MAX_DELIVER):
            return await self._dead_letter(
                msg, envelope, f"gave up after {deliveries} deliveries: {error}", deliveries
            )
        delay = self._delay(msg)
        log.warning(
            "event handling failed, will retry",
            consumer=self.name,
            event_id=envelope.event_id,
            subject=msg.subject,
            deliveries=deliveries,
            retry_in=delay,
            error=error,
            exc_info=exc,
        )
        await self._settle(msg.nak(delay=delay))
        return "retried"

    async def _dead_letter(
        self, msg: Msg, envelope: EventEnvelope | None, error: str, deliveries: int
    ) -> str:
        event_id = envelope.event_id if envelope is not None and envelope.event_id else ""
        if not event_id:
            header = (msg.headers or {}).get("Nats-Msg-Id", "")
            event_id = header or f"{self.stream}:{_stream_seq(msg)}"
        dl = self._tables.dead_letter
        async with self._sessions() as session, session.begin():
            exists = await session.scalar(
                select(dl.c.id).where(dl.c.consumer == self.name, dl.c.event_id == event_id)
            )
            if exists is None:  # a lost term() can bring it back; keep one row
                await session.execute(
                    insert(dl).values(
                        consumer=self.name,
                        event_id=event_id[:64],
                        subject=msg.subject[:200],
                        payload=msg.data,
                        deliveries=deliveries,
                        error=error[:_ERROR_MAX],
                        created_at=self._clock(),
                    )
                )
        log.error(
            "event dead-lettered",
            consumer=self.name,
            event_id=event_id,
            subject=msg.subject,
            deliveries=deliveries,
            error=error,
        )
        await self._settle(msg.term())
        return "dead_lettered"

    def _delay(self, msg: Msg) -> float:
        schedule = self.backoff or DEFAULT_BACKOFF
        index = max(0, min(_deliveries(msg) - 1, len(schedule) - 1))
        return schedule[index]

    async def _with_progress(self, msg: Msg, work: Awaitable[bool]) -> bool:
        """Await `work`, telling JetStream it is in progress if it outlives a third of ack_wait."""
        if not self.ack_wait or self.ack_wait <= 0:
            return await work
        interval = max(self.ack_wait / 3, 0.1)

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(interval)
                with contextlib.suppress(Exception):
                    await msg.in_progress()

        beat = asyncio.create_task(heartbeat())
        try:
            return await work
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _settle(self, ack: Awaitable[None]) -> None:
        """Send ack/nak/term; if it is lost, JetStream redelivers and the inbox absorbs it."""
        try:
            await ack
        except Exception as exc:
            log.warning("could not settle message", consumer=self.name, error=repr(exc))


def _deliveries(msg: Msg) -> int:
    try:
        return int(msg.metadata.num_delivered)
    except Exception:
        return 1


def _stream_seq(msg: Msg) -> int | str:
    try:
        return int(msg.metadata.sequence.stream)
    except Exception:
        return "?"


async def _sleep_unless(stop: asyncio.Event, stopping: asyncio.Event, delay: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(stopping.wait())]
    try:
        await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
        for w in waiters:
            with contextlib.suppress(asyncio.CancelledError):
                await w
