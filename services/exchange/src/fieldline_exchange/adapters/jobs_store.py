"""Import jobs and their reports in the exchange's database (docs/contexts/exchange.md,
*Import jobs*). A job is claimed by one conditional UPDATE (queued, or its lease run out: the
replica that had it died), and its owner renews the lease with each checkpoint."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_exchange.adapters.orm import import_jobs, import_report

_j = import_jobs.c
QUEUED, CHECKING, APPLYING = "queued", "checking", "applying"
DONE, REFUSED, FAILED = "done", "refused", "failed"
FINISHED = (DONE, REFUSED, FAILED)


class JobsStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Mapping[str, Any]) -> None:
        await self.session.execute(insert(import_jobs).values(**row))

    async def job(self, job_id: str) -> Mapping[Any, Any] | None:
        query = select(import_jobs).where(_j.job_id == job_id)
        return (await self.session.execute(query)).mappings().first()

    async def done_with(self, partner_id: str, sha256: str) -> Mapping[Any, Any] | None:
        """The partner's finished import of the same bytes (the same file twice)."""
        query = (
            select(import_jobs)
            .where(_j.partner_id == partner_id, _j.sha256 == sha256, _j.state == DONE)
            .order_by(_j.created_at)
            .limit(1)
        )
        return (await self.session.execute(query)).mappings().first()

    async def by_filename(
        self, partner_id: str, filename: str, since: datetime
    ) -> Mapping[Any, Any] | None:
        """The partner's latest job of a file of that name made since `since` (a session's)."""
        query = (
            select(import_jobs)
            .where(_j.partner_id == partner_id, _j.filename == filename, _j.created_at >= since)
            .order_by(_j.created_at.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).mappings().first()

    async def of_partner(
        self, partner_id: str, limit: int, before: datetime | None = None
    ) -> list[Mapping[Any, Any]]:
        query = select(import_jobs).where(_j.partner_id == partner_id)
        if before is not None:
            query = query.where(_j.created_at < before)
        query = query.order_by(_j.created_at.desc(), _j.job_id).limit(limit)
        return list((await self.session.execute(query)).mappings())

    async def claim(self, owner: str, now: datetime, until: datetime) -> Mapping[Any, Any] | None:
        """The oldest job waiting for work (queued, or a lease run out), now `owner`'s."""
        waiting = or_(
            _j.state == QUEUED,
            and_(_j.state.in_([CHECKING, APPLYING]), _j.lease_until < now),
        )
        candidates = select(_j.job_id).where(waiting).order_by(_j.created_at, _j.job_id).limit(5)
        for job_id in list((await self.session.execute(candidates)).scalars()):
            taken = await self.session.execute(
                update(import_jobs)
                .where(_j.job_id == job_id, waiting)
                .values(owner=owner, lease_until=until, updated_at=now)
            )
            if taken.rowcount:  # type: ignore[attr-defined]
                return await self.job(job_id)
        return None

    async def update(self, job_id: str, owner: str, **values: Any) -> bool:
        """Change the job if `owner` still holds it (False: it was taken over)."""
        if "counts" in values and not isinstance(values["counts"], str):
            values["counts"] = json.dumps(values["counts"], ensure_ascii=False)
        if "refusal" in values and not isinstance(values["refusal"], str):
            values["refusal"] = json.dumps(values["refusal"], ensure_ascii=False)
        done = await self.session.execute(
            update(import_jobs).where(_j.job_id == job_id, _j.owner == owner).values(**values)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def checkpoint(
        self,
        job_id: str,
        owner: str,
        *,
        batches_done: int,
        applied: int,
        now: datetime,
        lease_until: datetime,
    ) -> bool:
        """A batch applied: the checkpoint moves past it and the lease is renewed, if `owner`
        still holds the job."""
        done = await self.session.execute(
            update(import_jobs)
            .where(_j.job_id == job_id, _j.owner == owner)
            .values(
                batches_done=batches_done,
                records_applied=_j.records_applied + applied,
                lease_until=lease_until,
                updated_at=now,
            )
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def clear_report(self, job_id: str) -> None:
        """Forget the job's report (its check pass, run again after a crash, writes it anew)."""
        await self.session.execute(delete(import_report).where(import_report.c.job_id == job_id))

    async def report(self, job_id: str, lines: Iterable[Mapping[str, Any]]) -> None:
        """Append report lines (numbered after the job's last)."""
        rows = list(lines)
        if not rows:
            return
        last = await self.session.execute(
            select(func.coalesce(func.max(import_report.c.n), 0)).where(
                import_report.c.job_id == job_id
            )
        )
        start = int(last.scalar_one())
        await self.session.execute(
            insert(import_report),
            [{"job_id": job_id, "n": start + i + 1, **row} for i, row in enumerate(rows)],
        )

    async def report_of(self, job_id: str, after: int, limit: int) -> list[Mapping[Any, Any]]:
        query = (
            select(import_report)
            .where(import_report.c.job_id == job_id, import_report.c.n > after)
            .order_by(import_report.c.n)
            .limit(limit)
        )
        return list((await self.session.execute(query)).mappings())
