"""Follow a stream's new events in this process: an ephemeral pull consumer, no inbox.

For reactions that only matter while the process lives and that must not lag behind silently,
such as invalidating an in-process cache when another replica changed the data behind it.
Durable, once-only effects belong in `EventConsumer` (inbox, retries, dead letters) instead.

At start (and after every loss) the follower creates its own ephemeral consumer on the stream:
`deliver_policy=NEW` (only events published from now on), `ack_policy=NONE`, kept in memory and
removed by the server `inactive_threshold` after the process stops fetching. It then calls
`apply(envelope)` for every event, in stream order.

`following` is True only while the follower can vouch that nothing was missed since it started
following. It becomes False, and `on_lost()` is called, as soon as:
- a fetch fails (a consumer that no longer exists answers "no responders" at once);
- a fetch that found nothing is not followed by a successful PING round trip to the server
  (so a silently dead connection is noticed within about one fetch timeout, not after the
  client's own ping interval);
- the NATS connection dropped or reconnected since the consumer was made (messages in flight
  may be gone, and an in-memory consumer may not have survived a server restart);
- the consumer sequence has a gap (a delivery was lost: with no acks nothing is redelivered);
- `apply` raises.
It then throws that consumer away, waits until NATS is reachable, makes a new one (events
published meanwhile are not replayed) and calls `on_following()`. Whoever depends on the events
must treat everything before `on_following()` as unknown, e.g. drop its cache in `on_lost()`.

Why no acks: an event the follower fails to apply is not worth redelivering later (a cache
entry served stale until an `ack_wait` expires is exactly the failure to avoid); noticing the
loss at once and declaring "not following" is. Acks would only add a round trip per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

from google.protobuf.message import DecodeError
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api

from fieldline.common.v1.event_envelope_pb2 import EventEnvelope
from fieldline_kit.logging import get_logger
from fieldline_kit.metrics import FOLLOWER_FOLLOWING, FOLLOWER_LOST, FOLLOWER_RECEIVED

log = get_logger("fieldline.follower")

Apply = Callable[[EventEnvelope], Awaitable[None] | None]


class _Lost(Exception):
    """The follower can no longer vouch that it saw every event."""


class StreamFollower:
    def __init__(
        self,
        connection: Client,
        stream: str,
        subjects: str | Sequence[str],
        apply: Apply,
        *,
        name: str = "follower",
        on_following: Callable[[], None] | None = None,
        on_lost: Callable[[], None] | None = None,
        batch: int = 256,
        fetch_timeout: float = 1.0,
        inactive_threshold: float = 60.0,
        retry_delay: float = 0.2,
        max_retry_delay: float = 5.0,
    ) -> None:
        self._nc = connection
        self._js: JetStreamContext = connection.jetstream(timeout=max(fetch_timeout, 2.0))
        self.stream = stream
        self.subjects = (subjects,) if isinstance(subjects, str) else tuple(subjects)
        self._apply = apply
        self.name = name
        self._on_following = on_following
        self._on_lost = on_lost
        self.batch = batch
        self.fetch_timeout = fetch_timeout
        self._ping_timeout = max(1, math.ceil(fetch_timeout))  # nats-py takes whole seconds
        self.inactive_threshold = inactive_threshold
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self._following = False
        self.consumer_name = ""
        self.last_confirmed = 0.0  # monotonic time NATS last proved the follower up to date

    @property
    def following(self) -> bool:
        return self._following

    async def run(self, stop: asyncio.Event) -> None:
        """Follow until `stop` is set; never raises on NATS trouble (it retries)."""
        log.info("stream follower started", follower=self.name, stream=self.stream)
        delay = self.retry_delay
        try:
            while not stop.is_set():
                if not self._nc.is_connected:
                    await _sleep(stop, self.retry_delay)
                    continue
                try:
                    sub = await self._subscribe()
                except Exception as exc:
                    log.warning(
                        "stream follower cannot subscribe, retrying",
                        follower=self.name,
                        stream=self.stream,
                        error=_describe(exc),
                    )
                    await _sleep(stop, delay)
                    delay = min(delay * 2, self.max_retry_delay)
                    continue
                delay = self.retry_delay
                try:
                    await self._follow(sub, stop)
                except _Lost as exc:
                    FOLLOWER_LOST.labels(self.name).inc()
                    log.warning(
                        "stream follower lost track, starting over",
                        follower=self.name,
                        stream=self.stream,
                        reason=str(exc),
                    )
                finally:
                    self._set_following(False)
                    await self._discard(sub)
        finally:
            self._set_following(False)
            log.info("stream follower stopped", follower=self.name, stream=self.stream)

    # -- internals ---------------------------------------------------------------------------
    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        name = f"{self.name}-{uuid.uuid4().hex[:12]}"
        single = len(self.subjects) == 1
        config = api.ConsumerConfig(
            name=name,
            deliver_policy=api.DeliverPolicy.NEW,
            ack_policy=api.AckPolicy.NONE,
            filter_subject=self.subjects[0] if single else None,
            filter_subjects=None if single else list(self.subjects),
            inactive_threshold=self.inactive_threshold,
            mem_storage=True,
            num_replicas=1,
        )
        await self._js.add_consumer(self.stream, config=config)
        self.consumer_name = name
        return await self._js.pull_subscribe_bind(stream=self.stream, name=name)

    async def _follow(self, sub: JetStreamContext.PullSubscription, stop: asyncio.Event) -> None:
        reconnects = self._nc.stats["reconnects"]
        expected = 1  # consumer sequence of the next delivery
        self.last_confirmed = time.monotonic()
        self._set_following(True)
        log.info(
            "stream follower following",
            follower=self.name,
            stream=self.stream,
            consumer=self.consumer_name,
        )
        while not stop.is_set():
            try:
                msgs = await sub.fetch(self.batch, timeout=self.fetch_timeout)
            except TimeoutError:  # nats.errors.TimeoutError: nothing new
                msgs = []
            except Exception as exc:
                raise _Lost(f"fetch failed: {_describe(exc)}") from exc
            if not msgs:
                try:
                    await self._nc.flush(timeout=self._ping_timeout)
                except Exception as exc:
                    raise _Lost(f"NATS did not answer a ping: {_describe(exc)}") from exc
            if not self._nc.is_connected or self._nc.stats["reconnects"] != reconnects:
                raise _Lost("the NATS connection dropped")
            for msg in msgs:
                expected = self._check_sequence(msg, expected)
                await self._deliver(msg)
            self.last_confirmed = time.monotonic()

    def _check_sequence(self, msg: Msg, expected: int) -> int:
        seq = msg.metadata.sequence.consumer
        if seq != expected:
            raise _Lost(f"delivery gap: expected consumer sequence {expected}, got {seq}")
        return seq + 1

    async def _deliver(self, msg: Msg) -> None:
        FOLLOWER_RECEIVED.labels(self.name).inc()
        try:
            envelope = EventEnvelope.FromString(msg.data)
        except DecodeError:
            # Not an event at all (nothing the publisher would write): nothing to apply.
            log.error("stream follower got an undecodable message", subject=msg.subject)
            return
        try:
            result = self._apply(envelope)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            log.exception(
                "stream follower could not apply an event",
                follower=self.name,
                event_id=envelope.event_id,
                subject=msg.subject,
            )
            raise _Lost(f"apply failed: {_describe(exc)}") from exc

    def _set_following(self, value: bool) -> None:
        if value == self._following:
            return
        self._following = value
        FOLLOWER_FOLLOWING.labels(self.name).set(1 if value else 0)
        callback = self._on_following if value else self._on_lost
        if callback is not None:
            callback()

    async def _discard(self, sub: JetStreamContext.PullSubscription) -> None:
        """Unsubscribe and delete the consumer (best effort: the server expires it anyway)."""
        name, self.consumer_name = self.consumer_name, ""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1.0):
                await sub.unsubscribe()
        if name and self._nc.is_connected:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await self._js.delete_consumer(self.stream, name)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
