"""Whether the exchange's database answers (readiness)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text


async def database_answers(read_sessions: Any) -> None:
    async with read_sessions() as session:
        await session.execute(text("SELECT 1"))
