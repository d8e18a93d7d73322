"""The base of every gRPC servicer: reads, idempotent writes, single and in batches.

A servicer maps a request proto to a use case's arguments and the result back to a response
proto; it holds no SQL and no business rule. What it needs from the app:

- `read()`: a read-only unit of work (repositories and the session for queries, in a read
  transaction that is never committed);
- `write(method, request, Response, work)`: `work(uow)` in one transaction, idempotent under
  the request's `request_id`, which is required (a retry gets the stored response; see
  fieldline_kit.idempotency); `required=False` only for an RPC idempotent by itself;
- `write_batch(method, requests, work)`: the same for many requests in one transaction, each
  answered on its own (`work(uow, requests)` returns a response or a DomainError per request);
- `answered(method, request, Response)`: the response already stored for this request, read
  before a call to another service so a retry does not ask it again.

Errors are raised as `fieldline_kit.errors.DomainError`s; the kit interceptor maps them to
status codes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message

from fieldline_kit.app import ServiceApp
from fieldline_kit.errors import DomainError
from fieldline_kit.idempotency import IdempotentCall, run_idempotent, run_idempotent_batch
from fieldline_kit.uow import UnitOfWork

A = TypeVar("A", bound=ServiceApp[Any, Any])
U = TypeVar("U", bound=UnitOfWork)
R = TypeVar("R", bound=Message)
Q = TypeVar("Q", bound=Message)


class Servicer(Generic[A, U]):
    def __init__(self, app: A) -> None:
        self.app = app

    @asynccontextmanager
    async def read(self) -> AsyncIterator[U]:
        async with self.app.read_uow() as uow:
            yield uow

    async def write(
        self,
        method: str,
        request: Message,
        response_type: type[R],
        work: Callable[[U], Awaitable[R]],
        *,
        required: bool = True,
    ) -> R:
        return await run_idempotent(
            self.app.uow, method, request, response_type, work, required=required
        )

    async def write_batch(
        self,
        method: str,
        requests: Sequence[Q],
        work: Callable[[U, Sequence[Q]], Awaitable[Sequence[Message | DomainError]]],
        *,
        required: bool = True,
    ) -> list[Message | bytes | DomainError]:
        return await run_idempotent_batch(self.app.uow, method, requests, work, required=required)

    async def answered(
        self, method: str, request: Message, response_type: type[R], *, required: bool = True
    ) -> R | None:
        call = IdempotentCall.of(method, request, required=required)
        if not call.key:
            return None
        async with self.read() as uow:
            stored = await uow.stored_responses([call.key])
        answer = call.answer(stored.get(call.key))
        return response_type.FromString(answer) if answer is not None else None
