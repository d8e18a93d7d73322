"""Readiness: the gateway's database answers (NATS and the services are not asked: without
them uploads or syncs still work — docs/contexts/device-gateway.md, *Health*)."""

from __future__ import annotations

from typing import Any

from fieldline_gateway.adapters.probe import select_one


async def database_ready(app: Any) -> None:
    async with app.read_sessions() as session:
        await select_one(session)
