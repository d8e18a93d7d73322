"""Idempotent execution of mutating RPCs keyed by the caller's `request_id`.

The response of the first successful call is stored in the same transaction as its effects;
a retry with the same request_id gets those bytes back and changes nothing. Two identical
requests racing each other: one commits, the other hits the idempotency primary key, rolls
back and, on its second attempt, returns the stored response.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_kit.errors import Conflict, InvalidArgument
from fieldline_kit.uow import UnitOfWork, fingerprint

M = TypeVar("M", bound=Message)
U = TypeVar("U", bound=UnitOfWork)


def request_key(method: str, request_id: str) -> str:
    if not request_id:
        return ""
    try:
        uuid.UUID(request_id)
    except ValueError:
        raise InvalidArgument("request_id", f"must be a UUID, got {request_id[:60]!r}") from None
    return f"{method}:{request_id.lower()}"


async def stored_responses(
    session: AsyncSession, idempotency: Table, keys: Collection[str]
) -> dict[str, tuple[str, bytes]]:
    """key → (fingerprint, response) of the stored responses among `keys` (one statement).

    For batches of requests read before they are processed; compare the fingerprint as
    `UnitOfWork.recorded_response` does.
    """
    if not keys:
        return {}
    t = idempotency
    rows = await session.execute(
        select(t.c.key, t.c.fingerprint, t.c.response).where(t.c.key.in_(list(keys)))
    )
    return {r.key: (r.fingerprint, bytes(r.response)) for r in rows}


async def run_idempotent(
    uow_factory: Callable[[], U],
    method: str,
    request: Message,
    response_type: type[M],
    work: Callable[[U], Awaitable[M]],
) -> M:
    key = request_key(method, getattr(request, "request_id", ""))
    digest = fingerprint(request) if key else ""
    for attempt in (1, 2):
        try:
            async with uow_factory() as uow:
                if key:
                    stored = await uow.recorded_response(key, digest)
                    if stored is not None:
                        return response_type.FromString(stored)
                response = await work(uow)
                if key:
                    await uow.record_response(key, digest, response.SerializeToString())
                await uow.commit()
                return response
        except IntegrityError:
            if attempt == 2:
                raise Conflict("a concurrent request changed the same records; retry") from None
    raise AssertionError("unreachable")
