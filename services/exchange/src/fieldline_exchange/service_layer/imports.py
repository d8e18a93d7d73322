"""Import jobs (docs/contexts/exchange.md, *Import jobs*): a file becomes a job; any replica
claims it, checks the whole file (a first streaming pass: counts, skips, refusals — nothing
applied), then applies it in batches, one command each, with a checkpoint after each; a job
left half-way by a crash is claimed again and resumes after its checkpoint, the batch in flight
sent again under the same request id (the services answer it as the first time).

What a format reads and how its records reach the services is its `Pipeline`'s
(commerceml, fieldline); this module only runs them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import Counter, Histogram

from fieldline_exchange.adapters.files import Files, Stored, is_zip
from fieldline_exchange.adapters.jobs_store import (
    APPLYING,
    CHECKING,
    DONE,
    FAILED,
    QUEUED,
    REFUSED,
    JobsStore,
)
from fieldline_exchange.domain.partners import PartnerCaller
from fieldline_exchange.domain.records import Refusal
from fieldline_exchange.domain.reports import ReportLine
from fieldline_exchange.domain.request_ids import batch_request_id
from fieldline_kit.errors import NotFound, Unavailable
from fieldline_kit.logging import get_logger

log = get_logger("fieldline.exchange.imports")

IMPORTS = Counter(
    "fieldline_exchange_imports_total",
    "Import jobs ended, by the file's format (commerceml, fieldline) and outcome (done, "
    "refused: the file applies nothing; failed: an internal error)",
    ["format", "outcome"],
)
RECORDS = Counter(
    "fieldline_exchange_records_total",
    "Records of imported files, by outcome: applied, skipped (left out when read: a report "
    "line), refused (refused by the owning service: a report line)",
    ["format", "outcome"],
)
IMPORT_SECONDS = Histogram(
    "fieldline_exchange_import_seconds",
    "Time a replica worked an import job to done (check and apply; a resumed job: the rest)",
    ["format"],
    buckets=(1, 5, 15, 60, 180, 600, 1800, 3600, 7200),
)

LEASE = timedelta(seconds=60)
IDLE_SECONDS = 1.0
RETRY_SECONDS = 5.0


@dataclass
class Checked:
    """A file read through: its kind and version, its counts, the records skipped."""

    kind: str
    version: str
    counts: dict[str, int]
    skipped: list[ReportLine] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Batch:
    """Records of one kind sent as one command (`n`: its place in the file's batches).
    `counted`: its records are the file's (False: a step of the import's own, like removing
    what a full package no longer holds, which applies no record of the file)."""

    n: int
    kind: str
    records: Sequence[Any]
    counted: bool = True


@dataclass(frozen=True)
class Job:
    job_id: str
    partner: PartnerCaller
    path: Path
    sha256: str
    batches_done: int
    format: str = "commerceml"


class Pipeline(Protocol):
    async def check(self, job: Job) -> Checked:
        """Read the whole file; Refusal when it must not be applied."""

    def batches(self, job: Job, size: int) -> Generator[Batch, None, None]:
        """The file's records in batches, the same every time (a sync generator: it parses)."""

    async def apply(self, job: Job, batch: Batch, request_id: str) -> list[ReportLine]:
        """Send the batch; the records the service refused (the rest applied)."""


def sniff_format(path: Path) -> str:
    """`fieldline` for the own format (its namespace in the first bytes), else `commerceml`."""
    with path.open("rb") as source:
        head = source.read(4096)
    return "fieldline" if b"urn:fieldline:exchange:" in head else "commerceml"


class Imports:
    def __init__(
        self,
        uow: Callable[[], Any],
        read_uow: Callable[[], Any],
        files: Files,
        pipelines: Mapping[str, Pipeline],
        *,
        clock: Callable[[], datetime],
        batch: int = 500,
        owner: str = "",
        lease: timedelta = LEASE,
    ) -> None:
        self._uow = uow
        self._read_uow = read_uow
        self.files = files
        self.pipelines = pipelines
        self._clock = clock
        self._batch = batch
        # How long a job stays its worker's without a checkpoint: past it, the worker is
        # taken for dead and any replica resumes the job.
        self._lease = lease
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()

    # ------------------------------------------------------------------ submitting
    async def submit(self, caller: PartnerCaller, stored: Stored) -> list[Mapping[Any, Any]]:
        """Jobs for a received file (an archive: one per member, in archive order); a file the
        partner imported before, byte for byte, answers with that job and does nothing."""
        members = (
            await asyncio.to_thread(self.files.unpack, stored) if is_zip(stored.path) else [stored]
        )
        jobs = []
        now = self._clock()
        async with self._uow() as uow:
            store = JobsStore(uow.session)
            for n, member in enumerate(members):
                done = await store.done_with(caller.partner_id, member.sha256)
                if done is not None:
                    jobs.append(done)
                    continue
                row = {
                    "job_id": str(uuid.uuid4()),
                    "partner_id": caller.partner_id,
                    "scopes": " ".join(sorted(caller.scopes)),
                    "filename": member.filename,
                    "path": str(member.path),
                    "size": member.size,
                    "sha256": member.sha256,
                    "format": sniff_format(member.path),
                    "kind": "",
                    "version": "",
                    "state": QUEUED,
                    "bytes_read": 0,
                    "batches_done": 0,
                    "records_applied": 0,
                    "counts": "{}",
                    "refusal": "",
                    "owner": None,
                    "lease_until": None,
                    # Members keep their archive order among jobs made at the same moment.
                    "created_at": now + timedelta(microseconds=n),
                    "updated_at": now,
                    "finished_at": None,
                }
                await store.add(row)
                jobs.append(row)
            await uow.commit()
        self._wake.set()
        return jobs

    async def job(self, caller: PartnerCaller, job_id: str) -> Mapping[Any, Any]:
        async with self._read_uow() as uow:
            row = await JobsStore(uow.session).job(job_id)
        if row is None or row["partner_id"] != caller.partner_id:
            raise NotFound("import", job_id)
        return row

    async def of_session(
        self, caller: PartnerCaller, filename: str, since: datetime
    ) -> Mapping[Any, Any] | None:
        async with self._read_uow() as uow:
            return await JobsStore(uow.session).by_filename(caller.partner_id, filename, since)

    async def jobs(
        self, caller: PartnerCaller, limit: int, before: datetime | None = None
    ) -> list[Mapping[Any, Any]]:
        async with self._read_uow() as uow:
            return await JobsStore(uow.session).of_partner(caller.partner_id, limit, before)

    async def report(
        self, caller: PartnerCaller, job_id: str, after: int, limit: int
    ) -> list[Mapping[Any, Any]]:
        await self.job(caller, job_id)
        async with self._read_uow() as uow:
            return await JobsStore(uow.session).report_of(job_id, after, limit)

    # ------------------------------------------------------------------ working
    async def run(self, stop: asyncio.Event, partners: Callable[[str], Any]) -> None:
        """Claim and work jobs until `stop` (a background loop of `serve`); `partners` gives
        a job's partner (its identity in the services)."""
        while not stop.is_set():
            worked = False
            try:
                worked = await self.step(partners)
            except Exception:
                log.exception("import step failed")
            if not worked:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_first(stop.wait(), self._wake.wait()), IDLE_SECONDS)

    async def step(self, partners: Callable[[str], Any]) -> bool:
        """One job claimed and worked to its end (or until a service is out of reach);
        False when none was waiting."""
        now = self._clock()
        async with self._uow() as uow:
            row = await JobsStore(uow.session).claim(self.owner, now, now + self._lease)
            await uow.commit()
        if row is None:
            return False
        partner = await partners(row["partner_id"])
        # The job may do what the credentials that sent it could, no more.
        partner = replace(partner, scopes=partner.scopes & frozenset(row["scopes"].split()))
        job = Job(
            row["job_id"],
            partner,
            Path(row["path"]),
            row["sha256"],
            row["batches_done"],
            row["format"],
        )
        pipeline = self.pipelines[row["format"]]
        started = time.monotonic()
        try:
            if row["state"] in (QUEUED, CHECKING):
                checked = await self._check(job, pipeline)
                if checked is None:
                    IMPORTS.labels(row["format"], REFUSED).inc()
                    return True
                RECORDS.labels(row["format"], "skipped").inc(len(checked.skipped))
            if await self._apply(job, pipeline):
                IMPORTS.labels(row["format"], DONE).inc()
                IMPORT_SECONDS.labels(row["format"]).observe(time.monotonic() - started)
        except Unavailable as exc:
            # A service is out of reach: the job waits (its lease runs out soon) and is
            # claimed again later, resuming after its checkpoint.
            log.warning("import waits for a service", job_id=job.job_id, error=str(exc))
            await self._update(job, lease_until=self._clock() + timedelta(seconds=RETRY_SECONDS))
        except Exception as exc:
            log.exception("import failed", job_id=job.job_id)
            await self._update(
                job,
                state=FAILED,
                refusal={"code": "internal", "message": f"{type(exc).__name__}", "line": None},
                finished_at=self._clock(),
            )
            IMPORTS.labels(row["format"], FAILED).inc()
        return True

    async def _check(self, job: Job, pipeline: Pipeline) -> Checked | None:
        await self._update(job, state=CHECKING)
        try:
            checked = await pipeline.check(job)
        except Refusal as refused:
            await self._update(
                job, state=REFUSED, refusal=refused.to_json(), finished_at=self._clock()
            )
            log.info("import refused", job_id=job.job_id, code=refused.code)
            return None
        async with self._uow() as uow:
            store = JobsStore(uow.session)
            await store.clear_report(job.job_id)
            await store.report(job.job_id, [line.row() for line in checked.skipped])
            await store.update(
                job.job_id,
                self.owner,
                state=APPLYING,
                kind=checked.kind,
                version=checked.version,
                counts=checked.counts,
                updated_at=self._clock(),
            )
            await uow.commit()
        return checked

    async def _apply(self, job: Job, pipeline: Pipeline) -> bool:
        """Apply the job's batches after its checkpoint; False when another replica took it."""
        # The file is parsed on one thread of its own, start to end: lxml's parser and the
        # elements it makes must stay on the thread that made them (moving between the
        # default pool's threads aborts the process in libxml2).
        reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-reader")
        loop = asyncio.get_running_loop()
        batches = await loop.run_in_executor(reader, pipeline.batches, job, self._batch)
        try:
            while True:
                batch = await loop.run_in_executor(reader, next, batches, None)
                if batch is None:
                    break
                if batch.n < job.batches_done:
                    continue  # applied before the crash
                refused = await pipeline.apply(job, batch, batch_request_id(job.sha256, batch.n))
                now = self._clock()
                async with self._uow() as uow:
                    store = JobsStore(uow.session)
                    await store.report(job.job_id, [line.row() for line in refused])
                    held = await store.checkpoint(
                        job.job_id,
                        self.owner,
                        batches_done=batch.n + 1,
                        applied=(len(batch.records) if batch.counted else 0) - len(refused),
                        now=now,
                        lease_until=now + self._lease,
                    )
                    if not held:
                        raise _Lost
                    await uow.commit()
                applied = (len(batch.records) if batch.counted else 0) - len(refused)
                RECORDS.labels(job.format, "applied").inc(max(applied, 0))
                RECORDS.labels(job.format, "refused").inc(len(refused))
        except _Lost:
            log.warning("import taken over by another replica", job_id=job.job_id)
            return False
        finally:
            await loop.run_in_executor(reader, batches.close)
            reader.shutdown(wait=False)
        await self._update(job, state=DONE, finished_at=self._clock(), lease_until=None)
        return True

    async def _update(self, job: Job, **values: Any) -> None:
        async with self._uow() as uow:
            await JobsStore(uow.session).update(
                job.job_id, self.owner, updated_at=self._clock(), **values
            )
            await uow.commit()


class _Lost(Exception):
    """The job's lease ran out and another replica took it."""


async def _first(*waits: Any) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
