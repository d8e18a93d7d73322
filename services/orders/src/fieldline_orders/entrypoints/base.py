"""What the orders servicers share: idempotent writes, read transactions, the business day."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, tzinfo
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

from google.protobuf.message import Message
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_kit.errors import InvalidArgument
from fieldline_kit.idempotency import fingerprint, request_key, run_idempotent
from fieldline_kit.uow import UnitOfWork
from fieldline_orders.adapters.schema import kit
from fieldline_orders.bootstrap import App
from fieldline_orders.domain.orders import CreditChecker
from fieldline_orders.domain.pricing import ManualDiscountLimits

R = TypeVar("R", bound=Message)

_idempotency = kit.idempotency
STORED_RESPONSE = select(_idempotency.c.fingerprint, _idempotency.c.response).where(
    _idempotency.c.key == bindparam("key")
)


class Base:
    def __init__(self, app: App) -> None:
        self.app = app

    @cached_property
    def limits(self) -> ManualDiscountLimits:
        return ManualDiscountLimits.parse(self.app.settings.max_manual_discount)

    @cached_property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.app.settings.timezone)

    def today(self) -> date:
        """The company's business day (ORDERS_TIMEZONE)."""
        return self.app.clock().astimezone(self.tz).date()

    @property
    def credit(self) -> CreditChecker:
        if self.app.credit is None:
            raise RuntimeError("no credit checker configured")
        checker: CreditChecker = self.app.credit
        return checker

    async def _write(
        self,
        method: str,
        request: Message,
        response_type: type[R],
        work: Callable[[UnitOfWork], Awaitable[R]],
    ) -> R:
        return await run_idempotent(self.app.uow, method, request, response_type, work)

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncSession]:
        """A read transaction (on SQLite a plain BEGIN: it neither waits for nor blocks writers)."""
        async with self.app.read_sessions() as session, session.begin():
            yield session

    async def _stored(
        self, session: AsyncSession, method: str, request: Message, response_type: type[R]
    ) -> R | None:
        """The stored response of an earlier call with this request_id, before any side call.

        Lets a retried SubmitOrder / CompleteVanSale answer without asking settlements again;
        `run_idempotent` still checks under the write transaction. Runs in the caller's read
        transaction (the one that then prepares the request).
        """
        key = request_key(method, getattr(request, "request_id", ""))
        if not key:
            return None
        row = (await session.execute(STORED_RESPONSE, {"key": key})).first()
        if row is None:
            return None
        if row.fingerprint != fingerprint(request):
            raise InvalidArgument("request_id", "was already used for a different request")
        return response_type.FromString(bytes(row.response))
