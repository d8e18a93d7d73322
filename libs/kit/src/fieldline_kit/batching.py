"""Coalescing concurrent calls into batches (group commit).

A `Batcher` takes items one call at a time (`await batcher.submit(item)`) and runs them through
one function in batches: while a batch is being processed, newly submitted items wait, and the
next batch takes all of them (up to `max_batch`), after lingering while a burst of calls is
still arriving (`_linger`; a lone call waits about `quiet`, half a millisecond). Under load the
per-batch costs — transactions, round trips, statement overhead — are shared by as many calls
as arrived meanwhile: latency stays about one batch time, and the throughput grows with the
load instead of collapsing under it.

The batch function gets the items in submission order and returns one outcome per item: its
result or the exception that item's caller gets. Raising fails every item of the batch with
that exception. A caller that stops waiting (cancelled, deadline) does not withdraw its item:
the batch may already be writing it, and its effects stand, exactly as if the call had
completed and the answer got lost (callers retry idempotent writes).

A batch runs under its caller's correlation id when it has one caller, else a new one, and in
a trace span linked to its callers' (`tracing.batch_span`): never in the context of whichever
call happened to start the worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from prometheus_client import Histogram

from fieldline_kit import tracing
from fieldline_kit.logging import correlation, get_logger

T = TypeVar("T")
R = TypeVar("R")

log = get_logger("fieldline.batching")

BATCH_SIZE = Histogram(
    "fieldline_batch_size",
    "Items per batch run by a batcher (coalesced concurrent calls).",
    ["batcher"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)

QUIET_CHECKS = 4

BatchFunction = Callable[[Sequence[T]], Awaitable[Sequence[R | BaseException]]]


class Batcher(Generic[T, R]):
    """Runs submitted items through `run` in batches; at most `max_in_flight` at a time.

    `max_in_flight` > 1 lets the next batch start (e.g. read and price) while the previous one
    waits on the network or the database; with 1, batches run strictly one after the other.
    """

    def __init__(
        self,
        name: str,
        run: BatchFunction[T, R],
        *,
        max_batch: int = 32,
        max_in_flight: int = 1,
        linger: float = 0.020,
        quiet: float = 0.0005,
    ) -> None:
        if max_batch < 1 or max_in_flight < 1:
            raise ValueError("max_batch and max_in_flight must be at least 1")
        self.name = name
        self._run = run
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self.linger = linger
        self.quiet = quiet
        self._pending: list[tuple[T, asyncio.Future[R], tracing.Origin]] = []
        self._workers: set[asyncio.Task[None]] = set()
        self._sizes = BATCH_SIZE.labels(name)

    @property
    def in_flight(self) -> int:
        return len(self._workers)

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future, tracing.Origin.here()))
        if len(self._workers) < self.max_in_flight:
            worker = asyncio.create_task(self._drain(), name=f"batcher:{self.name}")
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
        # Shielded: a cancelled caller leaves its item in the batch (see module docstring).
        return await asyncio.shield(future)

    async def wait_idle(self) -> None:
        """Until every submitted item has been processed (e.g. before shutting down)."""
        while self._workers:
            await asyncio.gather(*self._workers, return_exceptions=True)

    async def _drain(self) -> None:
        while self._pending:
            await self._linger()
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            self._sizes.observe(len(batch))
            await self._process(batch)

    async def _linger(self) -> None:
        """Let calls that are arriving together join the batch about to start.

        Waits while calls keep coming in (a burst: e.g. the callers a batch has just answered
        sending their next calls), for at most `linger` seconds, never once `max_batch` calls
        wait. "Keep coming in" is judged over QUIET_CHECKS looks, `quiet / QUIET_CHECKS`
        seconds apart: a look that finds no new call counts, one that finds some starts the
        count again. Looks rather than elapsed time, because while the event loop is busy
        elsewhere (answering, publishing) arrivals wait unseen in the server's queue: time
        passes with no arrival although callers are sending. A lone call waits `quiet`.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.linger
        await asyncio.sleep(0)
        seen, quiet_looks = len(self._pending), 0
        while len(self._pending) < self.max_batch:
            left = deadline - loop.time()
            if left <= 0:
                return
            await asyncio.sleep(min(self.quiet / QUIET_CHECKS, left))
            if len(self._pending) > seen:
                seen, quiet_looks = len(self._pending), 0
            else:
                quiet_looks += 1
                if quiet_looks >= QUIET_CHECKS:
                    return

    async def _process(self, batch: list[tuple[T, asyncio.Future[R], tracing.Origin]]) -> None:
        origins = [origin for _, _, origin in batch]
        try:
            with (
                correlation(origins[0].correlation if len(origins) == 1 else None),
                tracing.batch_span(self.name, origins),
            ):
                outcomes = await self._run([item for item, _, _ in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(
                    f"batcher {self.name}: {len(outcomes)} outcomes for {len(batch)} items"
                )
        except asyncio.CancelledError:
            for _, future, _ in batch:
                future.cancel()
            raise
        except Exception as exc:  # every caller of the batch gets its failure
            for _, future, _ in batch:
                if not future.done():
                    future.set_exception(exc)
            log.debug("batch failed", batcher=self.name, size=len(batch), error=repr(exc))
            return
        for (_, future, _), outcome in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
