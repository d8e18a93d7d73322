"""Writing the sync store in tests as its writers do: one transaction, the clock first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from fieldline_gateway.adapters import fanout_store as store
from fieldline_kit.db import session_factory

Write = Callable[[AsyncSession, int], Awaitable[Any]]


async def write(engine: AsyncEngine, *steps: Write) -> int:
    """One fan-out transaction: the clock first, then `steps` at its seq."""
    async with session_factory(engine)() as session, session.begin():
        seq = await store.advance_clock(session)
        for step in steps:
            await step(session, seq)
    return seq
