"""The sync store's reads the bulk build makes for its progress report."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_gateway.adapters.fanout_tables import fanout_objects

_objects = fanout_objects.c


async def written_at(session: AsyncSession, seq: int) -> dict[str, int]:
    """How many objects of each section carry `seq`: what the transaction that took it wrote
    (read in that transaction, before anyone can write them again; `ix (seq)`)."""
    query = (
        select(_objects.section, func.count()).where(_objects.seq == seq).group_by(_objects.section)
    )
    return {str(section): int(n) for section, n in await session.execute(query)}
