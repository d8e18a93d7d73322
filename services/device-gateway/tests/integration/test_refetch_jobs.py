"""Refetch jobs (service_layer/refetch.py) against a real database: a subject the service does
not know is tried a few times (its feed may lag), then its job ends instead of being retried
for ever; a service out of reach is retried."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from fieldline_gateway.adapters import refetch_store
from fieldline_gateway.adapters.refetch_tables import refetch_jobs
from fieldline_gateway.service_layer.refetch import NOT_FOUND_TRIES, Refetcher, plan_key
from fieldline_kit.db import session_factory


class _Territory:
    def __init__(self, code: grpc.StatusCode) -> None:
        self.code = code

    async def GetVisitPlan(self, request: Any, **kwargs: Any) -> Any:
        raise grpc.aio.AioRpcError(
            self.code, grpc.aio.Metadata(), grpc.aio.Metadata(), details="agent_id: not found"
        )


class _Peers:
    def __init__(self, code: grpc.StatusCode) -> None:
        self.territory = _Territory(code)
        self.timeout = 1.0

    def as_service(self) -> tuple[tuple[str, str], ...]:
        return ()


class _Uow:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)

    def __call__(self) -> Any:
        outer = self

        class _Scope:
            async def __aenter__(self) -> Any:
                self.session = outer._sessions()
                return self

            async def __aexit__(self, *exc: object) -> None:
                await self.session.close()

            async def commit(self) -> None:
                await self.session.commit()

        return _Scope()


async def _run(engine: AsyncEngine, agent: str, code: grpc.StatusCode, rounds: int) -> list[Any]:
    """`rounds` runs of a fresh job for `agent`'s plan; the job rows of that key left."""
    now = [datetime(2026, 12, 7, 9, tzinfo=UTC)]
    uow = _Uow(engine)
    refetcher = Refetcher(uow, _Peers(code), lambda: date(2026, 12, 7), lambda: now[0])  # type: ignore[arg-type]
    async with uow() as scope:
        await refetch_store.enqueue(scope.session, [plan_key(agent)], now[0])
        await scope.commit()
    for _ in range(rounds):
        await refetcher.step()
        now[0] += timedelta(minutes=10)  # past any backoff
    async with uow() as scope:
        query = select(refetch_jobs).where(refetch_jobs.c.key == plan_key(agent))
        return list((await scope.session.execute(query)).all())


async def test_an_unknown_subject_is_tried_a_few_times_then_given_up(engine: AsyncEngine) -> None:
    left = await _run(engine, "agent-a", grpc.StatusCode.NOT_FOUND, NOT_FOUND_TRIES - 1)
    assert [row.attempts for row in left] == [NOT_FOUND_TRIES - 1]  # its feed may lag: again
    assert await _run(engine, "agent-b", grpc.StatusCode.NOT_FOUND, NOT_FOUND_TRIES) == []


async def test_a_service_out_of_reach_is_retried(engine: AsyncEngine) -> None:
    left = await _run(engine, "agent-c", grpc.StatusCode.UNAVAILABLE, NOT_FOUND_TRIES + 2)
    assert [row.attempts for row in left] == [NOT_FOUND_TRIES + 2]
