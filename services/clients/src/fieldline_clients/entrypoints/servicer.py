"""The base of the clients servicers: every RPC is answered for a verified caller only, and
`caller(uow)` is that caller with its data scope.

With auth on (CLIENTS_AUTH_JWKS set) the kit's interceptor has verified the caller before a
servicer runs; with it off nobody is verified, and every RPC answers UNAUTHENTICATED rather
than act for an unknown caller with the whole company in scope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from google.protobuf.message import Message

from fieldline_clients.adapters.repository import ClientsUnitOfWork
from fieldline_clients.bootstrap import App
from fieldline_clients.service_layer.access import Access, access_for
from fieldline_kit.auth import current_principal
from fieldline_kit.grpc.servicer import Servicer

R = TypeVar("R", bound=Message)


class CallerServicer(Servicer[App, ClientsUnitOfWork]):
    async def caller(self, uow: ClientsUnitOfWork) -> Access:
        """The verified caller and its data scope (`service_layer.access`)."""
        return await access_for(uow, current_principal())

    @asynccontextmanager
    async def read(self) -> AsyncIterator[ClientsUnitOfWork]:
        current_principal()  # Unauthenticated when no caller was verified
        async with super().read() as uow:
            yield uow

    async def write(
        self,
        method: str,
        request: Message,
        response_type: type[R],
        work: Callable[[ClientsUnitOfWork], Awaitable[R]],
        **options: Any,
    ) -> R:
        current_principal()
        return await super().write(method, request, response_type, work, **options)
