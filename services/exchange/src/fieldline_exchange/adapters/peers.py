"""The exchange's channels to the three services, and the partner tokens its calls go with.

What an import does in a service it does as the partner (docs/contexts/exchange.md, *Partners
and access*): a short-lived token `kind: partner`, `sub: partner:<id>`, role SERVICE, signed
with EXCHANGE_TOKEN_SIGNING_KEYS under EXCHANGE_TOKEN_ISSUER, which the services trust bound
to that issuer — so their audit names the partner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from fieldline.clients.v1 import clients_service_pb2_grpc, territory_service_pb2_grpc
from fieldline.orders.v1 import catalog_service_pb2_grpc, orders_service_pb2_grpc
from fieldline.settlements.v1 import settlements_service_pb2_grpc
from fieldline_exchange.settings import PREFIX, ExchangeSettings
from fieldline_kit.auth.grpc_auth import AUTHORIZATION
from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.principal import Kind
from fieldline_kit.errors import Unavailable
from fieldline_kit.grpc.channels import PeerChannels
from fieldline_kit.roles import SERVICE

# Codes a later try may get past: the job waits and resumes (anything else is the request's).
TRANSIENT = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.UNAUTHENTICATED,  # a service not trusting the exchange's keys yet
    }
)

Metadata = tuple[tuple[str, str], ...]
T = TypeVar("T")


class Peers:
    """Stubs of the services the exchange calls, one channel per service."""

    def __init__(self, settings: ExchangeSettings, issuer: TokenIssuer) -> None:
        self._channels = PeerChannels(settings, PREFIX)
        channel = self._channels.open
        clients = channel(settings.clients_target)
        orders = channel(settings.orders_target)
        settlements = channel(settings.settlements_target)
        self.clients = clients_service_pb2_grpc.ClientsServiceStub(clients)
        self.territory = territory_service_pb2_grpc.TerritoryServiceStub(clients)
        self.orders = orders_service_pb2_grpc.OrdersServiceStub(orders)
        self.catalog = catalog_service_pb2_grpc.CatalogServiceStub(orders)
        self.settlements = settlements_service_pb2_grpc.SettlementsServiceStub(settlements)
        self.timeout = settings.rpc_timeout_seconds
        self._issuer = issuer
        self._tokens: dict[str, Callable[[], str]] = {}

    def as_partner(self, partner_id: str) -> Metadata:
        """The `authorization` of a call made for the partner."""
        source = self._tokens.get(partner_id)
        if source is None:
            source = self._tokens[partner_id] = self._issuer.source(
                f"partner:{partner_id}", Kind.PARTNER, [SERVICE]
            )
        return ((AUTHORIZATION, f"Bearer {source()}"),)

    async def call(self, partner_id: str, rpc: Callable[..., Awaitable[T]], request: Any) -> T:
        """`rpc(request)` as the partner; a failure a later try may get past raised as the
        kit's Unavailable (the job waits and resumes), any other as it came."""
        try:
            return await rpc(request, metadata=self.as_partner(partner_id), timeout=self.timeout)
        except grpc.aio.AioRpcError as exc:
            waiting = transient(exc)
            if waiting is not None:
                raise waiting from exc
            raise

    async def close(self) -> None:
        await self._channels.close()


def transient(exc: grpc.aio.AioRpcError) -> Unavailable | None:
    """The kit's Unavailable for a failure a later try may get past, else None."""
    if exc.code() in TRANSIENT:
        return Unavailable(f"{exc.code().name}: {exc.details()}")
    return None
