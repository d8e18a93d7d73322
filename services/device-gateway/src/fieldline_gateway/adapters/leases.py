"""Leases of the jobs one replica at a time runs (the sync store's bulk build), and when each
last finished (docs/contexts/device-gateway.md, *Consumers, replicas, outages*: orders'
`credit-recheck` pattern).

A lease is taken by one conditional UPDATE (free: expired, or already the taker's), or by an
INSERT … ON CONFLICT DO NOTHING for a job never run: of two replicas taking it at once exactly
one gets the row (PostgreSQL re-checks the UPDATE's condition on the row the other committed;
SQLite runs writers one at a time). The holder renews it while it works; a holder that dies
leaves a lease that expires by itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, String, Table, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_gateway.adapters.orm import metadata
from fieldline_kit.db import utc
from fieldline_kit.repository import dialect_insert

job_leases = Table(
    "job_leases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # When a run of the job last went to its end (None: never).
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

_t = job_leases.c


async def take(
    session: AsyncSession, name: str, holder: str, *, now: datetime, until: datetime
) -> bool:
    """Hold job `name` until `until` if it is free or `holder`'s already; False while another
    holder's lease runs past `now`."""
    taken = await session.execute(
        update(job_leases)
        .where(_t.name == name, or_(_t.holder == holder, _t.expires_at <= now))
        .values(holder=holder, expires_at=until)
        .returning(_t.name)
    )
    if taken.first() is not None:
        return True
    new = (
        dialect_insert(session, job_leases)
        .values(name=name, holder=holder, expires_at=until, finished_at=None)
        .on_conflict_do_nothing(index_elements=[_t.name])
        .returning(_t.name)
    )
    return (await session.execute(new)).first() is not None


async def release(
    session: AsyncSession, name: str, holder: str, *, now: datetime, finished: bool = False
) -> None:
    """End `holder`'s lease of `name` (if it still holds it): another replica may take it now.
    `finished`: the run went to its end (recorded as `finished_at`)."""
    values: dict[str, datetime] = {"expires_at": now}
    if finished:
        values["finished_at"] = now
    await session.execute(
        update(job_leases).where(_t.name == name, _t.holder == holder).values(**values)
    )


async def holder_of(session: AsyncSession, name: str, *, now: datetime) -> str | None:
    """Who holds `name`'s lease past `now` (None: free)."""
    row = (await session.execute(select(_t.holder, _t.expires_at).where(_t.name == name))).first()
    if row is None or utc(row.expires_at) <= now:
        return None
    return str(row.holder)


async def finished_at(session: AsyncSession, name: str) -> datetime | None:
    """When a run of `name` last went to its end (None: never)."""
    moment = await session.scalar(select(_t.finished_at).where(_t.name == name))
    return None if moment is None else utc(moment)
