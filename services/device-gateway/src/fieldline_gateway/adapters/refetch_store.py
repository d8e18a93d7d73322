"""SQL of the refetch jobs: enqueue (in the trigger's transaction), take due jobs by lease
(one worker per key at a time, any replica), finish or retry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_gateway.adapters.refetch_tables import graph_vans, refetch_jobs
from fieldline_kit.repository import dialect_insert

_jobs = refetch_jobs.c


@dataclass(frozen=True)
class Job:
    key: str
    generation: int
    attempts: int


async def enqueue(session: AsyncSession, keys: Iterable[str], now: datetime) -> None:
    """Ask for `keys` to be read again: a new job due now, or the waiting one bumped (many
    triggers of one key coalesce into one read)."""
    rows = [{"key": k, "generation": 1, "due_at": now, "attempts": 0} for k in sorted(set(keys))]
    if not rows:
        return
    stmt = dialect_insert(session, refetch_jobs)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_jobs.key],
        set_={"generation": _jobs.generation + 1, "due_at": stmt.excluded.due_at},
    )
    await session.execute(stmt, rows)


async def take(
    session: AsyncSession, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[Job]:
    """Lease up to `limit` due jobs no one else holds."""
    free = or_(_jobs.leased_until.is_(None), _jobs.leased_until < now)
    due = select(_jobs.key).where(_jobs.due_at <= now, free).order_by(_jobs.due_at).limit(limit)
    keys = list(await session.scalars(due))
    if not keys:
        return []
    taken = await session.execute(
        update(refetch_jobs)
        .where(_jobs.key.in_(keys), free)
        .values(leased_until=now + lease, lease_owner=owner)
        .returning(_jobs.key, _jobs.generation, _jobs.attempts)
    )
    return [Job(r.key, int(r.generation), int(r.attempts)) for r in taken]


async def finish(session: AsyncSession, job: Job, owner: str) -> bool:
    """Done: the job goes, unless triggered again while it ran (then it is released to run
    again). True when it went."""
    gone = await session.execute(
        delete(refetch_jobs).where(
            _jobs.key == job.key, _jobs.generation == job.generation, _jobs.lease_owner == owner
        )
    )
    if gone.rowcount:  # type: ignore[attr-defined]
        return True
    await release(session, job, owner)
    return False


async def release(
    session: AsyncSession,
    job: Job,
    owner: str,
    *,
    retry_at: datetime | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, object] = {"leased_until": None, "lease_owner": None}
    if retry_at is not None:
        values.update(due_at=retry_at, attempts=job.attempts + 1, last_error=error)
    await session.execute(
        update(refetch_jobs)
        .where(and_(_jobs.key == job.key, _jobs.lease_owner == owner))
        .values(**values)
    )


async def put_van(session: AsyncSession, van_id: str, seller_id: str) -> None:
    stmt = dialect_insert(session, graph_vans)
    stmt = stmt.on_conflict_do_update(
        index_elements=[graph_vans.c.van_id], set_={"seller_id": seller_id}
    )
    await session.execute(stmt.values(van_id=van_id, seller_id=seller_id))


async def seller_of(session: AsyncSession, van_id: str) -> str | None:
    seller: str | None = await session.scalar(
        select(graph_vans.c.seller_id).where(graph_vans.c.van_id == van_id)
    )
    return seller


async def agents_with_routes(session: AsyncSession) -> list[str]:
    from fieldline_gateway.adapters.graph_tables import graph_routes

    return sorted(set(await session.scalars(select(graph_routes.c.agent_id))))


async def van_sellers(session: AsyncSession) -> list[str]:
    """Employees holding the VAN_SELLER role, as clients last reported them."""
    from fieldline_gateway.adapters.orm import employees

    query = select(employees.c.employee_id).where(employees.c.roles.like("%VAN_SELLER%"))
    return sorted(await session.scalars(query))


async def telesellers(session: AsyncSession) -> dict[str, frozenset[str]]:
    """Employees holding the TELESELLER role, as clients last reported them: their roles."""
    from fieldline_gateway.adapters.orm import employees
    from fieldline_kit.auth.directory_table import ROLE_SEPARATOR

    query = select(employees.c.employee_id, employees.c.roles).where(
        employees.c.roles.like("%TELESELLER%")
    )
    found = {}
    for employee_id, roles in await session.execute(query):
        held = frozenset(r for r in str(roles).split(ROLE_SEPARATOR) if r)
        if "TELESELLER" in held:
            found[str(employee_id)] = held
    return found
