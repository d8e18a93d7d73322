"""The gateway's upkeep jobs, background loops of `serve` on every replica
(docs/contexts/device-gateway.md, *Compaction, retention, resync*):

    job                 when              what
    compaction          every hour        the sync store's tombstones and closed membership
                                          intervals older than GATEWAY_TOMBSTONE_DAYS deleted,
                                          the horizon raised (`fanout_store.compact`)
    window-sweep        every business    agent-owned history out of its window made
                        day               tombstones (domain/window.py)
    receipt-retention   every hour        upload receipts older than GATEWAY_RECEIPT_DAYS
    photo-retention     every hour        uploads unfinished for GATEWAY_PHOTO_STAGING_HOURS:
                                          their staged bytes, then their rows

Each loop wakes every minute and runs its job when it is due: when the last run that went to
its end (the job lease's `finished_at`, shared by every replica) is an hour old, or of an
earlier business day (GATEWAY_TIMEZONE). The run holds the job's lease (adapters/leases.py), so
one replica runs it at a time and the replicas together run it once per period; the lease is
renewed between chunks, and a run whose lease went elsewhere stops there.

Every job is also safe without the lease — the lease saves work, correctness does not rest on
it:

* compaction takes the clock row first (as every store writer does) and deletes only what lies
  between the horizon and its bound: a second run finds nothing left;
* the window sweep reads candidates outside any transaction, then per chunk takes the clock
  first, reads the candidates again and judges them again under the clock's lock (no store
  writer commits meanwhile), and tombstones those still live and out of the window. A chunk
  with nothing left to do rolls back, so a second sweep (concurrent or later the same day)
  takes no seq and sends devices nothing;
* receipts go by one DELETE of a time range;
* a stale upload's staged bytes go first (the blob store is no transaction), then its row by a
  DELETE conditioned on the offset read: an upload a chunk moved meanwhile keeps its row, fails
  its checksum at the end (its first chunks are gone) and starts again from 0. In that order a
  crash leaves at worst a row whose bytes are gone, dropped by the next run, never bytes no row
  names.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from fieldline_gateway.adapters import fanout_store, leases, metrics, upkeep_store
from fieldline_gateway.adapters.blob_store import BlobStore
from fieldline_gateway.adapters.receipts import Receipts
from fieldline_gateway.domain.window import SWEPT_SECTIONS, Windows, out_of_window
from fieldline_kit.logging import get_logger
from fieldline_kit.uow import UnitOfWork

log = get_logger("fieldline.gateway.upkeep")

COMPACTION = "compaction"
WINDOW_SWEEP = "window-sweep"
RECEIPT_RETENTION = "receipt-retention"
PHOTO_RETENTION = "photo-retention"
JOBS = (COMPACTION, WINDOW_SWEEP, RECEIPT_RETENTION, PHOTO_RETENTION)

POLL_SECONDS = 60.0  # how often a loop asks whether its job is due
LEASE = timedelta(minutes=5)  # renewed between chunks
HOURLY = timedelta(hours=1)
COMPACTION_CHUNK = 10_000  # tombstones one compaction transaction deletes at most
SCAN_PAGE = 1000  # live items the window sweep reads at a time
SWEEP_CHUNK = 500  # items one sweep transaction judges again and tombstones at most
PHOTO_BATCH = 200  # stale uploads dropped per transaction

Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class Stopped(Exception):
    """The process is stopping: the run ends between two chunks (not finished; the next due
    check runs it again)."""


class LeaseLost(Exception):
    """The run's lease went to another replica: this run stops there."""


@dataclass(frozen=True)
class UpkeepPolicy:
    """What the jobs keep (the GATEWAY_* settings)."""

    tombstone_days: int = 30  # GATEWAY_TOMBSTONE_DAYS
    receipt_days: int = 90  # GATEWAY_RECEIPT_DAYS
    photo_staging_hours: int = 168  # GATEWAY_PHOTO_STAGING_HOURS
    windows: Windows = field(default_factory=Windows)  # GATEWAY_ORDER_DAYS, and the fixed ones


class Turn:
    """One run of a job: `keep()` between chunks (stops when the process stops; renews the
    lease once `renew_every` has passed since it was taken or last renewed, and stops when it
    is lost), `removed(n)` counts what the run removed."""

    def __init__(
        self,
        job: str,
        *,
        renew: Callable[[], Awaitable[bool]] | None = None,
        renew_every: timedelta = LEASE / 5,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.job = job
        self.total = 0
        self._renew = renew
        self._renew_every = renew_every.total_seconds()
        self._renewed = time.monotonic()  # the lease was just taken
        self._stop = stop

    async def keep(self) -> None:
        if self._stop is not None and self._stop.is_set():
            raise Stopped
        if self._renew is None or time.monotonic() - self._renewed < self._renew_every:
            return
        if not await self._renew():
            raise LeaseLost(f"the {self.job} lease went to another replica")
        self._renewed = time.monotonic()

    def removed(self, n: int) -> None:
        if n:
            self.total += n
            metrics.UPKEEP_REMOVED.labels(self.job).inc(n)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Upkeep:
    """The four jobs: `loops()` for `serve`; `run_due(job)` one due run under the lease; the
    jobs themselves (`compact`, `sweep_window`, `purge_receipts`, `drop_stale_photos`) run once
    as they are."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        read_uow: Callable[[], UnitOfWork],
        blobs: BlobStore,
        policy: UpkeepPolicy,
        *,
        clock: Callable[[], datetime],
        tz: tzinfo,
        holder: str = "",
        poll_seconds: float = POLL_SECONDS,
        lease: timedelta = LEASE,
        compaction_chunk: int = COMPACTION_CHUNK,
        sweep_chunk: int = SWEEP_CHUNK,
        scan_page: int = SCAN_PAGE,
    ) -> None:
        self._uow = uow
        self._read_uow = read_uow
        self._blobs = blobs
        self.policy = policy
        self._clock = clock
        self._tz = tz
        self.holder = holder or _holder()
        self._poll = poll_seconds
        self._lease = lease
        self._compaction_chunk = compaction_chunk
        self._sweep_chunk = sweep_chunk
        self._scan_page = scan_page
        self._jobs: dict[str, Callable[[Turn], Awaitable[int]]] = {
            COMPACTION: self._compact,
            WINDOW_SWEEP: self._sweep_window,
            RECEIPT_RETENTION: self._purge_receipts,
            PHOTO_RETENTION: self._drop_stale_photos,
        }

    # -- the loops -------------------------------------------------------------------------------
    def loops(self) -> list[Loop]:
        """One background loop per job (a long window sweep never holds compaction back)."""
        return [self._loop_of(job) for job in JOBS]

    def _loop_of(self, job: str) -> Loop:
        async def loop(stop: asyncio.Event) -> None:
            await self.run(job, stop)

        loop.__name__ = f"upkeep_{job.replace('-', '_')}"
        return loop

    async def run(self, job: str, stop: asyncio.Event) -> None:
        """Run `job` whenever it is due, until `stop`."""
        while not stop.is_set():
            try:
                await self.run_due(job, stop)
            except (Stopped, LeaseLost) as exc:
                log.info("upkeep run ended early", job=job, reason=repr(exc))
            except Exception as exc:  # the database or the blob store out of reach
                log.warning("upkeep run failed", job=job, error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._poll)

    def today(self) -> date:
        """The business day (GATEWAY_TIMEZONE)."""
        return self._clock().astimezone(self._tz).date()

    def due(self, job: str, last_finished: datetime | None, now: datetime) -> bool:
        """Whether `job`, last run to its end at `last_finished` (None: never), is due `now`:
        the window sweep once a business day, the others once an hour."""
        if last_finished is None:
            return True
        if job == WINDOW_SWEEP:
            return last_finished.astimezone(self._tz).date() < now.astimezone(self._tz).date()
        return now - last_finished >= HOURLY

    async def run_due(self, job: str, stop: asyncio.Event | None = None) -> int | None:
        """Run `job` once if it is due and this replica gets its lease: what it removed; None
        when it did not run (not due, or another replica holds it)."""
        work = self._jobs[job]
        if not await self._is_due(job):
            return None
        if not await self._renew(job):
            return None
        finished = False
        try:
            # Another replica may have finished a run between the check and the lease.
            if not await self._is_due(job):
                return None
            started = time.perf_counter()
            turn = Turn(job, renew=lambda: self._renew(job), renew_every=self._lease / 5, stop=stop)
            removed = await work(turn)
            finished = True
            log.info(
                "upkeep run done",
                job=job,
                removed=removed,
                seconds=round(time.perf_counter() - started, 3),
            )
            return removed
        finally:
            try:
                async with self._uow() as uow:
                    await leases.release(
                        uow.session, job, self.holder, now=self._clock(), finished=finished
                    )
                    await uow.commit()
            except Exception as exc:  # the lease then expires by itself
                log.warning("upkeep lease not freed", job=job, error=repr(exc))

    async def _is_due(self, job: str) -> bool:
        async with self._read_uow() as uow:
            last = await leases.finished_at(uow.session, job)
        return self.due(job, last, self._clock())

    async def _renew(self, job: str) -> bool:
        """Take or renew the job's lease; False while another replica holds it."""
        now = self._clock()
        until = now + self._lease
        async with self._uow() as uow:
            held = await leases.take(uow.session, job, self.holder, now=now, until=until)
            await uow.commit()
        return held

    # -- the jobs, once --------------------------------------------------------------------------
    async def compact(self) -> int:
        return await self._compact(Turn(COMPACTION))

    async def sweep_window(self) -> int:
        return await self._sweep_window(Turn(WINDOW_SWEEP))

    async def purge_receipts(self) -> int:
        return await self._purge_receipts(Turn(RECEIPT_RETENTION))

    async def drop_stale_photos(self) -> int:
        return await self._drop_stale_photos(Turn(PHOTO_RETENTION))

    # -- compaction ------------------------------------------------------------------------------
    async def _compact(self, turn: Turn) -> int:
        """Tombstones and closed intervals written before now − GATEWAY_TOMBSTONE_DAYS, a chunk
        of tombstones per transaction (`fanout_store.compact`: the clock row first, the horizon
        raised to the largest seq deleted in the same transaction)."""
        older_than = self._clock() - timedelta(days=self.policy.tombstone_days)
        while True:
            await turn.keep()
            async with self._read_uow() as uow:
                clock = await fanout_store.read_clock(uow.session)
                if clock is None:  # nothing was ever written
                    return turn.total
                bound = await upkeep_store.tombstone_seq(
                    uow.session, after=clock.horizon, nth=self._compaction_chunk
                )
            async with self._uow() as uow:
                result = await fanout_store.compact(
                    uow.session, up_to_seq=bound, older_than=older_than
                )
                await uow.commit()
            metrics.FANOUT_HORIZON.set(result.horizon)
            removed = result.objects + result.intervals
            turn.removed(removed)
            if removed:
                log.info(
                    "sync store compacted",
                    horizon=result.horizon,
                    tombstones=result.objects,
                    intervals=result.intervals,
                )
            if bound is None or not removed:
                return turn.total

    # -- the window sweep ------------------------------------------------------------------------
    async def _sweep_window(self, turn: Turn) -> int:
        """Every live item of the swept sections judged by domain/window.py on today's business
        day; those out of the window made tombstones, a chunk per transaction."""
        today = self.today()
        for section in SWEPT_SECTIONS:
            after = ""
            pending: list[str] = []
            while True:
                await turn.keep()
                async with self._read_uow() as uow:
                    page = await upkeep_store.live_items(
                        uow.session, section, after=after, limit=self._scan_page
                    )
                pending.extend(key for key, body in page if self._out(section, key, body, today))
                while len(pending) >= self._sweep_chunk:
                    chunk, pending = pending[: self._sweep_chunk], pending[self._sweep_chunk :]
                    await self._tombstone(turn, section, chunk, today)
                if len(page) < self._scan_page:
                    break
                after = page[-1][0]
            if pending:
                await self._tombstone(turn, section, pending, today)
        return turn.total

    def _out(self, section: str, key: str, body: bytes, today: date) -> bool:
        item = upkeep_store.dated(section, key, body, self._tz)
        return out_of_window(section, item, today, self.policy.windows)

    async def _tombstone(self, turn: Turn, section: str, keys: list[str], today: date) -> None:
        """One transaction: the clock FIRST, then `keys` read again and judged again under its
        lock, and those still out of the window tombstoned; nothing left: rolled back, no seq
        taken."""
        await turn.keep()
        async with self._uow() as uow:
            seq = await fanout_store.advance_clock(uow.session)
            bodies = await upkeep_store.live_bodies(uow.session, section, keys)
            gone = sorted(k for k, body in bodies.items() if self._out(section, k, body, today))
            if not gone:
                return  # leaving the block rolls the clock back
            n = await fanout_store.tombstone(uow.session, seq, section, gone, now=self._clock())
            await uow.commit()
        metrics.FANOUT_WRITES.labels(section, "tombstone").inc(n)
        metrics.FANOUT_SEQ.set(seq)
        turn.removed(n)
        log.info("out of the window", section=section, items=n, seq=seq, day=today.isoformat())

    # -- receipts ----------------------------------------------------------------------------------
    async def _purge_receipts(self, turn: Turn) -> int:
        """Receipts received before now − GATEWAY_RECEIPT_DAYS (longer than any device can wait
        and still retry: settings.validate holds it above GATEWAY_REFRESH_TOKEN_DAYS)."""
        await turn.keep()
        before = self._clock() - timedelta(days=self.policy.receipt_days)
        async with self._uow() as uow:
            n = await Receipts(uow.session).purge(before)
            await uow.commit()
        turn.removed(n)
        return turn.total

    # -- photos ------------------------------------------------------------------------------------
    async def _drop_stale_photos(self, turn: Turn) -> int:
        """Uploads still unfinished GATEWAY_PHOTO_STAGING_HOURS after their declaration: their
        staged bytes, then (if no chunk moved them meanwhile) their rows. Complete photos are
        never touched: documents name them."""
        before = self._clock() - timedelta(hours=self.policy.photo_staging_hours)
        after: upkeep_store.StaleUpload | None = None
        while True:
            await turn.keep()
            async with self._read_uow() as uow:
                stale = await upkeep_store.stale_uploads(
                    uow.session, before, after=after, limit=PHOTO_BATCH
                )
            if not stale:
                return turn.total
            for upload in stale:
                await self._blobs.drop_staged(upload.photo_id)
            async with self._uow() as uow:
                dropped = 0
                for upload in stale:
                    dropped += await upkeep_store.drop_upload(uow.session, upload, before)
                await uow.commit()
            turn.removed(dropped)
            log.info("stale photo uploads dropped", photos=dropped, read=len(stale))
            if len(stale) < PHOTO_BATCH:
                return turn.total
            after = stale[-1]
